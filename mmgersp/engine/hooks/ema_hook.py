"""The one place where the GeRSP teacher changes."""
import math
from typing import Optional

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class GeRSPEMAHook(Hook):
    """Keeps the GeRSP teacher an exponential moving average of the student.

    * before the first iteration (``runner.iter == 0``) the teacher is set to
      a copy of the student; a resumed run keeps the teacher it loaded;
    * after every optimizer step,
      ``teacher = m * teacher + (1 - m) * student`` for the parameters of the
      pairs given by ``GeRSP.teacher_student_pairs()`` (the projector too
      unless ``teacher_projector='frozen'``); BatchNorm buffers are copied
      from the student, as mmpretrain's MoCo does;
    * ``m`` is logged as ``momentum``.

    ``momentum`` is the share of the *old teacher* that is kept (MoCo's
    convention: 0.996 in the paper, 0.999 in the official code) -- the
    opposite of mmengine's ``ExponentialMovingAverage(momentum=...)``.

    Before training it also checks the batch layout against the queue
    (``GeRSP.check_batch_layout``), so a bad config fails before step 1.

    Args:
        momentum (float): Teacher momentum at the first iteration.
            Defaults to 0.996 (paper).
        end_momentum (float, optional): If given, ``m`` follows a half-cosine
            from ``momentum`` to ``end_momentum`` over ``runner.max_iters``
            (BYOL's schedule; ``1.0`` is customary). Defaults to None
            (constant).
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

    @staticmethod
    def _algorithm(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def momentum_at(self, cur_iter: int, max_iters: int) -> float:
        """Teacher momentum used after iteration ``cur_iter`` (0-based)."""
        if self.end_momentum is None:
            return self.momentum
        progress = min(cur_iter / max(max_iters - 1, 1), 1.0)
        return self.end_momentum - (self.end_momentum - self.momentum) * (
            math.cos(math.pi * progress) + 1) / 2

    def before_train(self, runner) -> None:
        model = self._algorithm(runner)
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        n_rs = getattr(sampler, 'n_rs', None)
        if n_rs is not None:
            model.check_batch_layout(n_rs, get_world_size())
            batch_size = runner.train_dataloader.batch_size
            if batch_size != sampler.batch_size:
                raise ValueError(
                    f'train_dataloader.batch_size={batch_size} must equal '
                    f'sampler n_rs + n_nat = {sampler.batch_size}')
        if runner.iter == 0:
            self.copy_student_to_teacher(model)
            print_log('GeRSPEMAHook: teacher initialised from the student',
                      logger='current')

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        m = self.momentum_at(runner.iter, runner.max_iters)
        self.ema_update(self._algorithm(runner), m)
        runner.message_hub.update_scalar('train/momentum', m)

    @staticmethod
    @torch.no_grad()
    def copy_student_to_teacher(model) -> None:
        """Teacher (backbone and projector) := student."""
        model.teacher['backbone'].load_state_dict(model.backbone.state_dict())
        model.teacher['neck'].load_state_dict(model.neck.state_dict())

    @staticmethod
    @torch.no_grad()
    def ema_update(model, momentum: float) -> None:
        """``teacher = m * teacher + (1 - m) * student``, one fused lerp per
        module; BN buffers are copied from the student."""
        for teacher, student in model.teacher_student_pairs():
            torch._foreach_lerp_(list(teacher.parameters()),
                                 [p.detach() for p in student.parameters()],
                                 1.0 - momentum)
            for t_buf, s_buf in zip(teacher.buffers(), student.buffers()):
                t_buf.copy_(s_buf)
