"""mmgersp: GeRSP remote-sensing pre-training for OpenMMLab 2.x.

Importing this package checks that mmengine, mmcv (or mmcv-lite) and
mmpretrain are in the supported ranges and registers its modules in
mmpretrain's registries, so a pre-training config needs only
``custom_imports = dict(imports=['mmgersp'], allow_failed_imports=False)``.
"""
from .version import PRETRAIN_REQUIRES, __version__, check_versions

check_versions(PRETRAIN_REQUIRES)

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403

# Importing changes nothing else: torch's allow-list is widened only while
# the project loads a checkpoint (mmgersp.utils.checkpoint).

__all__ = ['__version__']
