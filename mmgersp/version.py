"""mmgersp's version, and the OpenMMLab version ranges it works with."""
from importlib.metadata import PackageNotFoundError, version as _dist_version
from typing import Dict, Optional, Sequence, Tuple

from packaging.version import Version

__version__ = '0.1.0'

# What pre-training needs: import name -> (distributions that provide it,
# minimum inclusive, maximum exclusive). mmcv-lite is mmcv without the
# compiled ops, which pre-training never calls. These are the ranges of
# requirements/runtime.txt and requirements/mminstall.txt (a test keeps them
# equal); the tested versions are pinned in requirements/constraints.txt.
PRETRAIN_REQUIRES: Dict[str, Tuple[Sequence[str], str, str]] = {
    'mmengine': (('mmengine', ), '0.10.0', '1.0.0'),
    'mmcv': (('mmcv', 'mmcv-lite'), '2.0.0', '2.4.0'),
    'mmpretrain': (('mmpretrain', ), '1.2.0', '2.0.0'),
}


def installed_version(dists: Sequence[str]) -> Optional[str]:
    """Version of the first of ``dists`` that is installed, else None."""
    for dist in dists:
        try:
            return _dist_version(dist)
        except PackageNotFoundError:
            continue
    return None


def check_versions(requires: Dict[str, Tuple[Sequence[str], str, str]],
                   needed_by: str = 'mmgersp') -> None:
    """Raise one ImportError listing every missing or out-of-range package.

    Checked at import rather than left to fail later inside a registry
    lookup, so a wrong stack says which distribution to change.
    """
    wrong = []
    for dists, low, high in requires.values():
        found = installed_version(dists)
        if found is None or not Version(low) <= Version(found) < Version(high):
            wrong.append(f'{" or ".join(dists)}>={low},<{high} '
                         f'(found {found or "nothing"})')
    if wrong:
        raise ImportError(
            f'{needed_by} needs ' + '; '.join(wrong) + '. Pre-training: '
            '`make install-core` (see README.md), or pip install "mmengine'
            '>=0.10,<1" "mmcv-lite==2.1.0" "mmpretrain>=1.2,<2". Downstream '
            'detection/segmentation: `make install` (mmcv 2.1.0 built with '
            'ops) or pip install "mmgersp[all]".')
