"""Stop at a non-finite loss, before a checkpoint of that state is written."""
import math

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raises ``FloatingPointError`` naming the iteration and loss terms.

    It reads the loss values that the runtime-info hook has already copied
    to the host for logging, so it adds no host-device synchronisation:
    every iteration with mmengine's ``RuntimeInfoHook``, every logging
    interval with :class:`IntervalRuntimeInfoHook` (which also flushes
    before each checkpoint). It checks after each iteration and again just
    before a checkpoint is written, so the weights of a diverged run are
    never saved: the checkpoints on disk stay the last good ones to resume
    from (e.g. with a lower lr).
    """

    priority = 'HIGH'  # after the runtime-info hook, before CheckpointHook

    def _check(self, runner) -> None:
        hub = runner.message_hub
        terms = {
            key[len('train/'):]: buf.current()
            for key, buf in hub.log_scalars.items()
            if key.startswith('train/') and 'loss' in key
        }
        if all(math.isfinite(v) for v in terms.values()):
            return
        shown = ', '.join(f'{k}={v:.4g}' for k, v in sorted(terms.items()))
        raise FloatingPointError(
            f'non-finite loss at iteration {runner.iter + 1} '
            f'(epoch {runner.epoch}): {shown}. Training stopped before '
            f'saving this state; the checkpoints in {runner.work_dir} are '
            'from earlier, finite iterations (resume with --resume, perhaps '
            'with a lower learning rate).')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._check(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self._check(runner)
