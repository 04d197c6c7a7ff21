"""tools/train.py refuses a schedule of no iterations before building
anything, naming the key (mmgersp.utils.config.check_max_iters)."""
import sys

import pytest
from mmengine.config import Config

from mmgersp.utils.config import check_max_iters
from tests.conftest import DEMO_CONFIG, load_tool

MESSAGE = ('train_cfg.max_iters must be an integer >= 1, got {}: set it in '
           'the config or with --cfg-options train_cfg.max_iters=N')


@pytest.mark.parametrize('value', ['0', '-3'])
def test_train_names_a_non_positive_max_iters(value, monkeypatch, tmp_path):
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', DEMO_CONFIG, '--work-dir', str(tmp_path),
        '--cfg-options', f'train_cfg.max_iters={value}'])
    with pytest.raises(SystemExit) as info:
        load_tool('train.py').main()
    assert str(info.value) == 'error: ' + MESSAGE.format(value)
    assert not list(tmp_path.iterdir())  # nothing was built or written


def test_check_max_iters_accepts_one_and_epoch_configs():
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.train_cfg.max_iters = 1
    check_max_iters(cfg)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
    check_max_iters(cfg)  # no max_iters: nothing to check
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2.5)
    with pytest.raises(ValueError, match=r'got 2\.5: set it'):
        check_max_iters(cfg)
