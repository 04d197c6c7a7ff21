"""A hook that records what each rank saw, for the 2-process test.

Imported by the test's config through ``custom_imports``; it only observes
(it wraps GeRSP's enqueue to keep a copy of the local keys).
"""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from mmgersp.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp


@HOOKS.register_module()
class DistRecorderHook(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        model = get_ori_model(runner.model)
        self.model, self.batches, self.keys = model, [], []
        enqueue = model._dequeue_and_enqueue

        def recording_enqueue(keys):
            self.keys.append(keys.detach().clone())
            return enqueue(keys)

        model._dequeue_and_enqueue = recording_enqueue

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        samples = data_batch['data_samples']
        self.batches.append(
            dict(rs=[s.img_path for s in samples['rs']],
                 nat=[s.img_path for s in samples['nat']]))

    def after_train(self, runner):
        rank = get_rank()
        torch.manual_seed(0)
        x = torch.arange(8, dtype=torch.float32).view(8, 1) + 100 * rank
        shuffled, idx_unshuffle = batch_shuffle_ddp(x)
        restored = batch_unshuffle_ddp(shuffled, idx_unshuffle)
        torch.save(
            dict(
                batches=self.batches,
                keys=self.keys,
                queue=self.model.queue.clone(),
                queue_ptr=self.model.queue_ptr.clone(),
                student={k: v.clone() for k, v in
                         self.model.backbone.state_dict().items()},
                teacher={k: v.clone() for k, v in
                         self.model.teacher.state_dict().items()},
                shuffle=dict(x=x, shuffled=shuffled, restored=restored)),
            osp.join(runner.work_dir, f'rank{rank}.pth'))
