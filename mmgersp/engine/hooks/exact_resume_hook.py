"""A resumed GeRSP run continues exactly where the interrupted one stopped."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Closes the two gaps mmengine leaves when resuming.

    1. **Data position.** ``EpochBasedTrainLoop`` restarts an interrupted
       epoch from its first batch, so a run resumed from an iteration
       checkpoint would see some samples twice and others never. This hook
       tells ``DualStreamSampler`` how many batches of the epoch are done.
       (``IterBasedTrainLoop`` replays its dataloader itself.)
    2. **Random state.** Checkpoints hold no random state. The state of the
       training process (Python, NumPy, torch CPU and CUDA generators, used
       by e.g. shuffle-BN) is saved with every checkpoint and restored just
       before the first resumed iteration -- after the dataloader has been
       (re)started, so the draws that follow match the uninterrupted run.
       Augmentation randomness needs no saving: ``DualStreamDataset`` seeds
       each draw from its position.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending_rng: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = dict(
            python=random.getstate(),
            numpy=np.random.get_state(),
            torch=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending_rng = checkpoint.get('rng_state')

    def before_train(self, runner) -> None:
        sampler = runner.train_dataloader.sampler
        epoch_loop = isinstance(runner.train_loop, EpochBasedTrainLoop)
        if epoch_loop and getattr(sampler, 'infinite', False):
            raise ValueError(
                'train_dataloader.sampler.infinite=True never ends an epoch '
                'of the EpochBasedTrainLoop (train_cfg): set it to False, or '
                'train with IterBasedTrainLoop')
        if runner.iter == 0 or not epoch_loop:
            return
        if not hasattr(sampler, 'skip_batches'):
            return
        done = runner.iter - runner.epoch * len(runner.train_dataloader)
        if 0 < done < len(runner.train_dataloader):
            sampler.set_epoch(runner.epoch)
            sampler.skip_batches = done
            print_log(
                f'ExactResumeHook: epoch {runner.epoch} resumes after its '
                f'first {done} batches', logger='current')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        state, self._pending_rng = self._pending_rng, None
        if state is None:
            return
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if state['cuda'] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
