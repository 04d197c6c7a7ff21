"""Packaging of mmgersp: pre-training core, downstream extras, and `.mim`.

`pip install mmgersp` gives the pre-training stack (ranges; mmcv or mmcv-lite
installed separately, as for OpenMMLab's own packages); the extras add the
downstream libraries. The configs, tools and model index ship inside the
package as `mmgersp/.mim/` (OpenMMLab's `add_mim_extension`), so `mim train
mmgersp CONFIG`, `mim test` and `mim search mmgersp` work from a wheel. For the
tested, pinned stack use `make install-core` / `make install` (README.md).
"""
import os
import os.path as osp
import re
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>, comments dropped."""
    lines = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                lines.append(line)
    return lines


def get_version() -> str:
    with open(osp.join(HERE, 'mmgersp', 'version.py')) as f:
        return re.search(r"^__version__ = '([^']+)'", f.read(), re.M).group(1)


def add_mim_extension() -> None:
    """Put configs, tools and model-index.yml into ``mmgersp/.mim``.

    As OpenMMLab's packages do: symlinks for an editable install, copies
    when a wheel or sdist is built (the copies are build outputs, ignored by
    git); anything else (e.g. `setup.py --version`) leaves the tree alone.
    """
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_root = osp.join(HERE, 'mmgersp', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
extras = {name: read_requirements(f'{name}.txt')
          for name in ('det', 'seg', 'rotate', 'tests')}
extras['all'] = sorted(set(extras['det'] + extras['seg'] + extras['rotate']))
extras['mim'] = read_requirements('mminstall.txt')

setup(
    name='mmgersp',
    version=get_version(),
    description='GeRSP remote-sensing pre-training for OpenMMLab 2.x',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=('mmgersp', 'mmgersp.*')),
    include_package_data=True,
    install_requires=(read_requirements('build.txt') +
                      read_requirements('runtime.txt')),
    extras_require=extras,
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
)
