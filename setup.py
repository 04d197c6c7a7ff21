"""mmgersp: GeRSP remote-sensing pre-training for OpenMMLab 2.x.

The heavy part of the stack (torch, and mmcv built from source with ops)
installs in a fixed order; use `make install` (see README.md), which runs
requirements/build.txt, then mmcv, then this package.
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


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
    scope = {}
    with open(osp.join(HERE, 'mmgersp', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmgersp',
    version=get_version(),
    description='GeRSP remote-sensing pre-training for OpenMMLab 2.x',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    install_requires=(read_requirements('mminstall.txt') +
                      read_requirements('runtime.txt')),
    extras_require=dict(tests=read_requirements('tests.txt')),
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
)
