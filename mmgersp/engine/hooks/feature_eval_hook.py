"""kNN / linear-probe check of the student backbone during pre-training."""
from typing import Optional, Sequence

from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model

from mmgersp.evaluation import (IMAGENET_MEAN, IMAGENET_STD, FeatureEvalData,
                                evaluate_backbone)


@HOOKS.register_module()
class FeatureEvalHook(Hook):
    """Evaluates frozen student features every ``interval`` epochs/iters.

    Pre-training losses say little about whether the features transfer; a
    kNN and a linear probe on a labelled class-folder tree (e.g. AID) do, and
    cost a few minutes on a few thousand images. The student backbone
    ``runner.model.backbone`` (DDP unwrapped) is run in eval mode and put
    back in train mode; it is the network ``export_backbone`` ships.

    Results are logged as ``knn_top1`` and ``linear_top1`` (percent): in the
    text log, in ``vis_data/scalars.json`` (step = iteration, for
    ``plot_curves.py``), and in the message hub as
    ``feature_eval/knn_top1`` and ``feature_eval/linear_top1``. Rank 0
    computes them and broadcasts, so every rank logs the same numbers.

    ``import mmgersp`` does not load this hook (nor the evaluation library
    it uses); a config that uses it imports it::

        custom_imports = dict(
            imports=['mmgersp', 'mmgersp.engine.hooks.feature_eval_hook'],
            allow_failed_imports=False)
        custom_hooks = [..., dict(type='FeatureEvalHook',
                                  data_root='data/aid', interval=10)]

    Args:
        data_root (str): Class-folder tree ``<root>/<class>/<image>``.
        interval (int): Evaluate every ``interval`` epochs (``by_epoch``) or
            iterations. The last epoch/iteration is always evaluated.
        by_epoch (bool): Count epochs rather than iterations. Use False
            with ``IterBasedTrainLoop``. Defaults to True.
        eval_before_train (bool): Also evaluate before the first step (the
            starting point of the curve). Defaults to False.
        img_size (int): Side of the square input. Defaults to 224.
        train_ratio, seed, max_per_class: Deterministic split, see
            :func:`mmgersp.evaluation.deterministic_split`.
        k (int), temperature (float): kNN settings. Defaults to 20, 0.07.
        linear_weight_decay (float): L2 penalty of the linear probe.
        mean, std, channel_order: Input normalisation; GeRSP's by default.
        batch_size (int), num_workers (int): Feature extraction loader.
    """

    priority = 'LOW'

    def __init__(self,
                 data_root: str,
                 interval: int = 1,
                 by_epoch: bool = True,
                 eval_before_train: bool = False,
                 img_size: int = 224,
                 train_ratio: float = 0.5,
                 seed: int = 0,
                 max_per_class: Optional[int] = None,
                 k: int = 20,
                 temperature: float = 0.07,
                 linear_weight_decay: float = 1e-3,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 channel_order: str = 'RGB',
                 batch_size: int = 64,
                 num_workers: int = 0) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval
        self.by_epoch = by_epoch
        self.eval_before_train = eval_before_train
        self.data_cfg = dict(data_root=data_root, img_size=img_size,
                             train_ratio=train_ratio, seed=seed,
                             max_per_class=max_per_class, mean=mean, std=std,
                             channel_order=channel_order)
        self.eval_cfg = dict(k=k, temperature=temperature,
                             linear_weight_decay=linear_weight_decay,
                             batch_size=batch_size, num_workers=num_workers)
        self.data: Optional[FeatureEvalData] = None

    def before_train(self, runner) -> None:
        # scan the tree before step 1, so a wrong path fails at once
        if is_main_process():
            self.data = FeatureEvalData(**self.data_cfg)
        if self.eval_before_train:
            self.evaluate(runner, step=runner.iter)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not self.by_epoch and (self.every_n_train_iters(
                runner, self.interval) or self.is_last_train_iter(runner)):
            # runner.iter is incremented after this hook: the logger's step
            self.evaluate(runner, step=runner.iter + 1)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (self.every_n_epochs(runner, self.interval)
                              or self.is_last_train_epoch(runner)):
            self.evaluate(runner, step=runner.iter)

    def evaluate(self, runner, step: int) -> dict:
        """Evaluate the student backbone now; log and return the results."""
        results = [None]
        if is_main_process():
            backbone = get_ori_model(runner.model).backbone
            results[0] = evaluate_backbone(backbone, self.data,
                                           **self.eval_cfg)
        broadcast_object_list(results)  # no-op without distributed training
        res = results[0]
        scalars = {k: res[k] for k in ('knn_top1', 'linear_top1')}
        for key, value in scalars.items():
            runner.message_hub.update_scalar(f'feature_eval/{key}', value)
        runner.visualizer.add_scalars(scalars, step=step)
        runner.logger.info(
            f'FeatureEvalHook after iteration {step}: '
            f'knn_top1 {res["knn_top1"]:.2f}, linear_top1 '
            f'{res["linear_top1"]:.2f} on {self.data_cfg["data_root"]} '
            f'({res["num_train"]} train / {res["num_test"]} test images, '
            f'{res["num_classes"]} classes, {res["seconds"]:.1f} s)')
        return res
