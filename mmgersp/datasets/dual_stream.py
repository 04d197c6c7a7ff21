"""Collate that keeps the RS stream (two views) and the natural stream
(one view + label) of a GeRSP batch apart."""
from typing import Sequence

from mmengine.dataset import default_collate
from mmengine.registry import FUNCTIONS


def is_rs_sample(sample: dict) -> bool:
    """RS samples carry a list of views; natural samples a single image."""
    return isinstance(sample['inputs'], (list, tuple))


@FUNCTIONS.register_module()
def dual_stream_collate(data_batch: Sequence[dict]) -> dict:
    """Stack each stream on its own.

    ``default_collate`` alone cannot stack a batch whose samples have
    different structures (two views vs. one). Output::

        {'inputs': {'rs': [view1 (N,C,H,W), view2], 'nat': (M,C,H,W)},
         'data_samples': {'rs': [N DataSample], 'nat': [M DataSample]}}
    """
    rs = [s for s in data_batch if is_rs_sample(s)]
    nat = [s for s in data_batch if not is_rs_sample(s)]
    if not rs or not nat:
        raise ValueError(
            f'dual_stream_collate got {len(rs)} RS and {len(nat)} natural '
            'samples; every batch needs both. Use DualStreamSampler and set '
            'train_dataloader.batch_size = n_rs + n_nat.')
    rs, nat = default_collate(rs), default_collate(nat)
    return dict(
        inputs=dict(rs=rs['inputs'], nat=nat['inputs']),
        data_samples=dict(rs=rs['data_samples'], nat=nat['data_samples']))
