"""The two GeRSP streams as one dataset, and the collate that keeps them
apart: RS samples (two views, no label) and natural samples (one view +
label)."""
import random
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import ConcatDataset, default_collate
from mmengine.registry import FUNCTIONS
from mmpretrain.registry import DATASETS

from .rs_image_folder import BadImageGuard, RSImageFolder

# (sample index in the concat, (seed, epoch, position in the epoch))
DrawKey = Tuple[int, Tuple[int, int, int]]


@DATASETS.register_module()
class DualStreamDataset(ConcatDataset):
    """``ConcatDataset([rs, natural])`` with reproducible augmentation.

    ``DualStreamSampler`` yields keys ``(index, (seed, epoch, position))``.
    Each draw seeds Python's, NumPy's and torch's generators from that
    triple before the pipeline runs (and restores them after), so the
    augmentation of a sample depends only on *when* it is drawn -- not on
    the number of dataloader workers, nor on whether the run was resumed.
    This is what lets a resumed run continue exactly where it stopped.
    Plain integer indices work as in ``ConcatDataset``.

    Args:
        datasets: ``[rs_dataset, natural_dataset]`` (configs or objects).
        num_classes (int, optional): Classes of the natural-image classifier
            (``model.cls_head.num_classes``). When given, every natural label
            is checked to lie in ``[0, num_classes)`` here, at build time,
            instead of failing inside the loss thousands of steps later.
        ignore_keys: metainfo keys that may differ between the streams.
            Defaults to ``'classes'`` (the RS stream has no classes).
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, object]],
                 num_classes: Optional[int] = None,
                 ignore_keys: Union[str, List[str], None] = 'classes',
                 lazy_init: bool = False) -> None:
        if len(datasets) != 2:
            raise ValueError('DualStreamDataset takes exactly two datasets, '
                             f'[rs, natural]; got {len(datasets)}')
        self.num_classes = num_classes
        self.natural_guard: Optional[BadImageGuard] = None
        super().__init__(
            datasets=list(datasets), lazy_init=lazy_init,
            ignore_keys=ignore_keys)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        rs, nat = self.datasets
        classes = nat.metainfo.get('classes')
        if classes is not None and len(classes) < 2:
            raise ValueError(
                f'natural dataset {getattr(nat, "data_root", "")!r} has '
                f'{len(classes)} class ({list(classes)}); the natural stream '
                'needs at least 2 (with 1 the classification loss is 0)')
        if self.num_classes is not None:
            self._check_labels(nat, self.num_classes)
        self.natural_guard = self._natural_guard(rs, nat)

    @staticmethod
    def _natural_guard(rs, nat) -> Optional[BadImageGuard]:
        """Who skips natural images that fail to load, as RS images are.

        The natural stream is usually a plain mmpretrain dataset, whose
        ``__getitem__`` lets one corrupt file stop the run; this dataset
        reads it through the RS dataset's guard instead: same
        ``max_bad_images`` budget, count and message.
        """
        if isinstance(rs, RSImageFolder) and \
                not isinstance(nat, RSImageFolder):
            return rs.guard
        return None

    @staticmethod
    def _check_labels(dataset, num_classes: int) -> None:
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            label = int(info.get('gt_label', -1))
            if not 0 <= label < num_classes:
                source = getattr(dataset, 'ann_file', '') or getattr(
                    dataset, 'data_root', '')
                raise ValueError(
                    f'natural dataset {source!r}: sample {i} '
                    f'({info.get("img_path")}) has label {label}, outside '
                    f'[0, {num_classes}) (model.cls_head.num_classes); fix '
                    'the annotation file or num_classes')

    @property
    def stream_sizes(self) -> Tuple[int, int]:
        return len(self.datasets[0]), len(self.datasets[1])

    def _sample(self, index: int) -> dict:
        """Sample ``index`` of the concat; natural images through the
        guard (see ``_natural_guard``)."""
        if not self._fully_initialized:
            self.full_init()
        stream, sample_idx = self._get_ori_dataset_idx(index)
        dataset = self.datasets[stream]
        if stream == 1 and self.natural_guard is not None:
            return self.natural_guard.get(dataset, sample_idx)
        return dataset[sample_idx]

    def __getitem__(self, key: Union[int, DrawKey]) -> dict:
        if not isinstance(key, tuple):
            return self._sample(key)
        index, draw = key
        seed = int(np.random.SeedSequence(list(draw)).generate_state(1)[0])
        states = random.getstate(), np.random.get_state(), torch.get_rng_state()
        random.seed(seed)
        np.random.seed(seed)
        # The CPU generator only: torch.manual_seed also queues a CUDA seed,
        # recording a Python stack trace each time (90 us per sample here).
        torch.default_generator.manual_seed(seed)
        try:
            return self._sample(index)
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])


def is_rs_sample(sample: dict) -> bool:
    """RS samples carry a list of views; natural samples a single image."""
    return isinstance(sample['inputs'], (list, tuple))


@FUNCTIONS.register_module()
def dual_stream_collate(data_batch: Sequence[dict]) -> dict:
    """Stack each stream on its own.

    ``default_collate`` alone cannot stack a batch whose samples have
    different structures (two views vs. one). Output::

        {'inputs': {'rs': [view1 (N,C,H,W), view2], 'nat': (M,C,H,W)},
         'data_samples': {'rs': [N DataSample], 'nat': [M DataSample],
                          'nat_labels': (M, ) int64}}
    """
    rs = [s for s in data_batch if is_rs_sample(s)]
    nat = [s for s in data_batch if not is_rs_sample(s)]
    if not rs or not nat:
        raise ValueError(
            f'dual_stream_collate got {len(rs)} RS and {len(nat)} natural '
            'samples; every batch needs both. Use DualStreamSampler and set '
            'train_dataloader.batch_size = n_rs + n_nat.')
    rs, nat = default_collate(rs), default_collate(nat)
    # One label tensor, pinned by the DataLoader and copied to the device
    # with a single non-blocking transfer.
    labels = torch.cat([s.gt_label for s in nat['data_samples']])
    return dict(
        inputs=dict(rs=rs['inputs'], nat=nat['inputs']),
        data_samples=dict(rs=rs['data_samples'], nat=nat['data_samples'],
                          nat_labels=labels))
