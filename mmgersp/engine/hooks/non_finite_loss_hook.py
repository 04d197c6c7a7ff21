"""Stop at the first non-finite loss, before a checkpoint is written."""
import math

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raises ``FloatingPointError`` naming the iteration and loss terms.

    It reads the loss values that mmengine's ``RuntimeInfoHook`` already
    copied to the host for logging (every iteration), so it adds no
    host-device synchronisation. It runs before ``CheckpointHook`` in the
    same iteration, so the weights of a diverged step are never saved: the
    last checkpoint on disk is the last good one, to resume from (e.g. with
    a lower lr).
    """

    priority = 'HIGH'  # after RuntimeInfoHook, before CheckpointHook

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if not outputs:
            return
        terms = {
            key: runner.message_hub.get_scalar(f'train/{key}').current()
            for key in outputs if 'loss' in key
        }
        if all(math.isfinite(v) for v in terms.values()):
            return
        shown = ', '.join(f'{k}={v:.4g}' for k, v in terms.items())
        raise FloatingPointError(
            f'non-finite loss at iteration {runner.iter + 1} '
            f'(epoch {runner.epoch}): {shown}. Training stopped before '
            f'saving this state; the checkpoints in {runner.work_dir} are '
            'from earlier, finite iterations (resume with --resume, perhaps '
            'with a lower learning rate).')
