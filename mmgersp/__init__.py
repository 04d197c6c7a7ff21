"""mmgersp: GeRSP remote-sensing pre-training for OpenMMLab 2.x.

Importing this package checks the OpenMMLab versions it was built against
and registers its modules in mmpretrain's registries, so a config needs only
``custom_imports = dict(imports=['mmgersp'], allow_failed_imports=False)``.
"""
from importlib.metadata import PackageNotFoundError, version as _dist_version

from packaging.version import Version

from .version import __version__

# distribution -> (minimum inclusive, maximum exclusive)
REQUIRED = {
    'mmengine': ('0.10.7', '0.11.0'),
    'mmcv': ('2.1.0', '2.2.0'),
    'mmpretrain': ('1.2.0', '1.3.0'),
}


def _check_versions() -> None:
    wrong = []
    for dist, (low, high) in REQUIRED.items():
        try:
            found = _dist_version(dist)
        except PackageNotFoundError:
            found = None
        if found is None or not Version(low) <= Version(found) < Version(high):
            wrong.append(f'{dist}=={low} (found {found or "nothing"})')
    if wrong:
        raise ImportError(
            'mmgersp needs ' + ', '.join(wrong) + '. Install the pinned stack '
            'with `make install` (see README.md), or by hand: pip install '
            '"setuptools>=77,<81" torch torchvision && pip install '
            '--no-build-isolation mmcv==2.1.0 && pip install -r '
            'requirements/mminstall.txt')


_check_versions()

from .datasets import *  # noqa: E402,F401,F403
from .engine import *  # noqa: E402,F401,F403
from .models import *  # noqa: E402,F401,F403
from .utils import allow_mmengine_checkpoint_types  # noqa: E402

# mmengine's resume/load_checkpoint call torch.load without weights_only;
# allow-list mmengine's own checkpoint types instead of unpickling freely.
allow_mmengine_checkpoint_types()

__all__ = ['__version__']
