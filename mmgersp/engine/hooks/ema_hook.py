"""When, and with which momentum, the GeRSP teacher follows the student."""
import math
from typing import Optional

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class GeRSPEMAHook(Hook):
    """The teacher's momentum schedule, like mmpretrain's ``DenseCLHook``.

    Before training: ``GeRSP.check_batch_layout`` (a bad config fails before
    step 1) and, at iteration 0 only, ``GeRSP.init_teacher`` (a resumed run
    keeps the teacher it loaded). After every optimizer step:
    ``GeRSP.momentum_update(m)``, with ``m`` logged as ``momentum``.

    ``momentum`` is the share of the *old teacher* kept (MoCo's convention:
    0.996 in the paper, 0.999 in the official code), the opposite of
    mmengine's ``ExponentialMovingAverage(momentum=...)``. With
    ``end_momentum``, ``m`` follows a half-cosine from ``momentum`` to it over
    ``runner.max_iters`` (BYOL's schedule; ``1.0`` is customary).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 momentum: float = 0.996,
                 end_momentum: Optional[float] = None) -> None:
        for name, value in (('momentum', momentum),
                            ('end_momentum', end_momentum)):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f'GeRSPEMAHook.{name} must be in [0, 1], '
                                 f'got {value}')
        self.momentum = momentum
        self.end_momentum = end_momentum

    def momentum_at(self, cur_iter: int, max_iters: int) -> float:
        """Teacher momentum used after iteration ``cur_iter`` (0-based)."""
        if self.end_momentum is None:
            return self.momentum
        progress = min(cur_iter / max(max_iters - 1, 1), 1.0)
        return self.end_momentum - (self.end_momentum - self.momentum) * (
            math.cos(math.pi * progress) + 1) / 2

    def before_train(self, runner) -> None:
        model = get_ori_model(runner.model)
        loader = runner.train_dataloader
        sampler = loader.sampler
        if not hasattr(sampler, 'n_rs'):
            raise TypeError(
                'GeRSP trains on dual-stream batches: set train_dataloader.'
                "sampler = dict(type='DualStreamSampler', n_rs=..., n_nat=...)"
                f', not {type(sampler).__name__}')
        model.check_batch_layout(sampler.n_rs, get_world_size(),
                                 sampler.n_nat, loader.batch_size)
        if runner.iter == 0:
            model.init_teacher()
            print_log('GeRSPEMAHook: teacher initialised from the student',
                      logger='current')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        m = self.momentum_at(runner.iter, runner.max_iters)
        get_ori_model(runner.model).momentum_update(m)
        runner.message_hub.update_scalar('train/momentum', m)
