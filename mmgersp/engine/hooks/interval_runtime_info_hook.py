"""Loss logging without a host-device synchronisation on every step."""
from typing import Dict, Optional

import torch
from mmengine.hooks import LoggerHook, RuntimeInfoHook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class IntervalRuntimeInfoHook(RuntimeInfoHook):
    """``RuntimeInfoHook`` that copies loss values to the host once per
    logging interval instead of every iteration.

    mmengine's hook calls ``.item()`` on every logged tensor after every
    step, which makes the CPU wait for the GPU each iteration. Here the
    values are summed on the device and their mean over the interval is
    pushed to the message hub when ``LoggerHook`` is about to print (and
    before every checkpoint, so ``NonFiniteLossHook`` can veto saving a
    diverged state). Set ``log_processor.window_size=1``: each logged value
    is then the mean over the last interval.

    Args:
        interval (int, optional): Iterations between host copies; defaults to
            the ``LoggerHook`` interval.
    """

    def __init__(self, interval: Optional[int] = None) -> None:
        super().__init__()
        self.interval = interval
        self._sums: Dict[str, torch.Tensor] = {}
        self._count = 0

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if self.interval is None:
            loggers = [h for h in runner.hooks if isinstance(h, LoggerHook)]
            self.interval = loggers[0].interval if loggers else 1

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if outputs is None:
            return
        with torch.no_grad():
            for key, value in outputs.items():
                value = value.detach() if isinstance(
                    value, torch.Tensor) else torch.tensor(float(value))
                if key in self._sums:
                    self._sums[key] += value
                else:
                    self._sums[key] = value.clone()
        self._count += 1
        if (self.every_n_train_iters(runner, self.interval)
                or self.end_of_epoch(runner.train_dataloader, batch_idx)
                or self.is_last_train_iter(runner)):
            self.flush(runner)

    def flush(self, runner) -> None:
        """Push the interval means to the message hub (one host copy)."""
        if not self._count:
            return
        keys = list(self._sums)
        means = (torch.stack([self._sums[k].float() for k in keys]) /
                 self._count).tolist()
        for key, value in zip(keys, means):
            runner.message_hub.update_scalar(f'train/{key}', value)
        self._sums, self._count = {}, 0

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self.flush(runner)
