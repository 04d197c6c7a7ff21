"""Fixtures for the downstream benchmark configs: tools run on real samples.

The tools are called through their ``main(argv)``, as from the shell.
"""
import pytest

from tests.conftest import shared_path
from tests.test_benchmarks.helpers import load_tool


@pytest.fixture(scope='session')
def aid_split(aid_root, tmp_path_factory) -> str:
    """AID split 8:2 per class by the scene split tool (stands in for
    EuroSAT/RESISC45, which are not in the shared samples)."""
    out = str(tmp_path_factory.mktemp('aid_split'))
    tool = load_tool('dataset_converters/scene_cls_split.py')
    assert tool.main([aid_root, '--train-ratio', '0.8', '--out-dir', out]) == 0
    return out


@pytest.fixture(scope='session')
def dota_crops(tmp_path_factory) -> dict:
    """The six shared DOTA images cut by the split tool, both protocols:
    ``{'hbb-800': <root with train/>, 'obb-1024': <root with trainval/>}``."""
    images = shared_path('dota', 'images')
    labels = shared_path('dota', 'labelTxt')
    tool = load_tool('dataset_converters/dota_split.py')
    roots = {}
    for protocol, split in (('hbb-800', 'train'), ('obb-1024', 'trainval')):
        root = tmp_path_factory.mktemp(protocol)
        assert tool.main([
            '--protocol', protocol, '--img-dirs', images, '--ann-dirs',
            labels, '--out-dir', str(root / split), '--nproc', '1'
        ]) == 0
        roots[protocol] = str(root)
    return roots
