"""IntervalRuntimeInfoHook: one host copy per logging interval, exact means."""
import glob
import os.path as osp

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.conftest import tiny_gersp_cfg


class LossTrace(Hook):
    priority = 'VERY_HIGH'  # sees the raw outputs of every step

    def __init__(self):
        self.losses, self.hub_values = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(float(outputs['loss_contrast'].detach()))
        buf = runner.message_hub.log_scalars.get('train/loss_contrast')
        self.hub_values.append(None if buf is None else len(buf.data[0]))


def test_means_pushed_once_per_interval(aid_root, cifar_train_root,
                                        tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path),
                         max_iters=6)
    cfg.default_hooks.logger.interval = 3
    cfg.default_hooks.runtime_info = dict(type='IntervalRuntimeInfoHook')
    cfg.log_level = 'INFO'
    runner = Runner.from_cfg(cfg)
    trace = LossTrace()
    runner.register_hook(trace, 'LOWEST')
    runner.train()
    buf = runner.message_hub.get_scalar('train/loss_contrast')
    values = buf.data[0].tolist()
    # two intervals of 3 iterations -> two host copies, each the mean
    assert len(values) == 2
    torch.testing.assert_close(values[0], sum(trace.losses[:3]) / 3)
    torch.testing.assert_close(values[1], sum(trace.losses[3:]) / 3)
    assert trace.hub_values == [None, None, 1, 1, 1, 2]
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    assert log.count('loss_contrast:') == 2
