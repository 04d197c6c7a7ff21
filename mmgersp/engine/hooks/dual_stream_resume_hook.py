"""Exact mid-epoch resume for ``DualStreamSampler``."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class DualStreamResumeHook(Hook):
    """Skips the batches a resumed epoch already trained on.

    mmengine's ``EpochBasedTrainLoop`` restarts an interrupted epoch from its
    first batch, so a run resumed from an iteration checkpoint would train on
    some samples twice and never see others. This hook tells
    ``DualStreamSampler`` how many batches of the current epoch are done.
    (``IterBasedTrainLoop`` already replays its dataloader on resume.)
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        if runner.iter == 0 or not isinstance(runner.train_loop,
                                              EpochBasedTrainLoop):
            return
        sampler = runner.train_dataloader.sampler
        if not hasattr(sampler, 'skip_batches'):
            return
        done = runner.iter - runner.epoch * len(runner.train_dataloader)
        if 0 < done < len(runner.train_dataloader):
            sampler.set_epoch(runner.epoch)
            sampler.skip_batches = done
            print_log(
                f'DualStreamResumeHook: epoch {runner.epoch} resumes after '
                f'its first {done} batches', logger='current')
