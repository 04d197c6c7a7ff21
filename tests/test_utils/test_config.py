"""set_data_roots: one way to point any pre-training config at user data."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmgersp.utils import set_data_roots
from tests.conftest import REPO, shared_path

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'gersp', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_set_data_roots_on_every_pretraining_config(path):
    aid, cifar = shared_path('aid'), shared_path('cifar10', 'train')
    cfg = Config.fromfile(path)
    dataset = cfg.train_dataloader.dataset
    kind = dataset.type
    has_rs = kind in ('DualStreamDataset', 'RSImageFolder')
    has_nat = kind != 'RSImageFolder'
    set_data_roots(cfg, aid if has_rs else None, cifar if has_nat else None)
    streams = dataset.datasets if kind == 'DualStreamDataset' else [dataset]
    roots = [s.data_root for s in streams]
    assert roots == [aid, cifar][0 if has_rs else 1:2 if has_nat else 1]
    if has_nat:
        nat = streams[-1]
        assert nat.type == 'CustomDataset' and 'split' not in nat
        head = cfg.model.get('cls_head') or cfg.model.get('head')
        if cfg.model.type in ('GeRSP', 'ImageClassifier'):
            assert head.num_classes == 10
    missing = '--natural-root' if not has_nat else (
        '--rs-root' if not has_rs else None)
    if missing:
        with pytest.raises(ValueError, match=f'{missing}: this config has '):
            set_data_roots(Config.fromfile(path), aid, cifar)
