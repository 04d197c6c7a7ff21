"""Shuffle-BN for the teacher, without host round trips.

Same contract as mmpretrain's ``batch_shuffle_ddp``/``batch_unshuffle_ddp``
(which MoCo uses), but the permutation is drawn on the data's device: the
mmpretrain version draws it on the CPU, so with NCCL every step pays a
host-to-device copy and a device-to-host copy back after the broadcast.
With one process, shuffling inside the batch cannot change BatchNorm
statistics, so it is skipped.
"""
from typing import Optional, Tuple

import torch
from mmengine.dist import all_gather, broadcast, get_rank, get_world_size


@torch.no_grad()
def batch_shuffle_ddp(
        x: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Give every rank a random slice of the gathered batch."""
    world_size = get_world_size()
    if world_size == 1:
        return x, None
    x_gather = torch.cat(all_gather(x), dim=0)
    idx_shuffle = torch.randperm(x_gather.shape[0], device=x.device)
    broadcast(idx_shuffle, src=0)
    idx_unshuffle = torch.argsort(idx_shuffle)
    idx_this = idx_shuffle.view(world_size, -1)[get_rank()]
    return x_gather[idx_this], idx_unshuffle


@torch.no_grad()
def batch_unshuffle_ddp(x: torch.Tensor,
                        idx_unshuffle: Optional[torch.Tensor]) -> torch.Tensor:
    """Return to every rank the rows of its own samples, in order."""
    if idx_unshuffle is None:
        return x
    x_gather = torch.cat(all_gather(x), dim=0)
    idx_this = idx_unshuffle.view(get_world_size(), -1)[get_rank()]
    return x_gather[idx_this]
