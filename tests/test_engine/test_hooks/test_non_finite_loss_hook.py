"""A NaN loss stops training with the iteration and terms named, and the
diverged state is never written as a checkpoint."""
import math
import os

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmgersp.utils.checkpoint import read_checkpoint
from tests.conftest import tiny_gersp_cfg


class PoisonAlpha(Hook):
    """Makes the natural-image loss NaN from iteration index 2 on."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 2:
            runner.model.alpha = math.nan


def test_nan_loss_stops_before_checkpoint(aid_root, cifar_train_root,
                                          tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path),
                         max_iters=5)
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(PoisonAlpha())
    with pytest.raises(FloatingPointError) as err:
        runner.train()
    message = str(err.value)
    assert 'iteration 3' in message
    assert 'loss_cls=nan' in message and 'loss_contrast=' in message
    saved = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    assert saved == ['iter_1.pth', 'iter_2.pth']
    state = read_checkpoint(str(tmp_path / 'iter_2.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())
