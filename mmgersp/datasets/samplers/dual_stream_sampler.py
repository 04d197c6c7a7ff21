"""Every batch holds ``n_rs`` RS samples and ``n_nat`` natural samples."""
import math
from typing import Iterator, List, Optional

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from ..dual_stream import DrawKey, DualStreamDataset

EPOCH_RULES = ('longest', 'shortest', 'rs', 'nat')


@DATA_SAMPLERS.register_module()
class DualStreamSampler(Sampler):
    """Dual-stream distributed sampler over ``DualStreamDataset([rs, nat])``.

    Per rank and batch it yields ``n_rs`` indices of the RS dataset followed
    by ``n_nat`` indices of the natural dataset (offset into the concat), so
    the dataloader's ``batch_size`` must be ``n_rs + n_nat``.

    Each stream has its own permutation, seeded by ``(seed, epoch, stream)``
    and identical on every rank; rank ``r`` of ``W`` takes positions
    ``r, r + W, r + 2W, ...`` of it, so ranks never share a sample within a
    pass. A stream that needs more samples than it holds is cycled, each
    cycle with a fresh permutation.

    Epoch length (``epoch_length``), in batches per rank:

    - ``'longest'`` (official GeRSP): one pass over the stream needing more
      batches, ``max(ceil(N_rs / (n_rs W)), ceil(N_nat / (n_nat W)))``; the
      other stream is cycled. The last partial batch is completed by
      wrapping around to the start of the pass (as ``DefaultSampler``).
    - ``'shortest'``: one pass over the stream needing fewer batches.
    - ``'rs'`` / ``'nat'``: one pass over that stream.

    It yields keys ``(index, (seed, epoch, position))``: the dataset seeds
    the augmentation of each draw from them (see ``DualStreamDataset``).

    Infinite mode (``infinite=True``, for ``IterBasedTrainLoop``, as
    mmengine's ``InfiniteSampler``): one iteration runs through epoch after
    epoch, yielding the keys the finite sampler yields over
    ``set_epoch(e)``, ``set_epoch(e + 1)``, ... -- the same draws, without
    the loop's restart of the dataloader (and its warning) at each epoch
    end. ``len()`` stays one epoch, from which mmengine converts epoch-based
    schedules.

    Resume: ``set_epoch`` picks the epoch's permutations; ``skip_batches``
    drops the batches already trained in a partially finished epoch (set by
    ``ExactResumeHook``), so a resumed run sees exactly the samples, and
    augmentations, that an uninterrupted run would.

    Args:
        dataset (DualStreamDataset): ``[rs_dataset, natural_dataset]``.
        n_rs (int): RS samples per batch and rank.
        n_nat (int): Natural samples per batch and rank.
        shuffle (bool): Permute each stream. Defaults to True.
        seed (int, optional): Shared random seed; ``None`` draws one and
            syncs it across ranks.
        epoch_length (str): See above. Defaults to ``'longest'``.
        infinite (bool): Never end (see above); for iteration-based loops
            only. Defaults to False.
    """

    def __init__(self,
                 dataset: DualStreamDataset,
                 n_rs: int,
                 n_nat: int,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 epoch_length: str = 'longest',
                 infinite: bool = False) -> None:
        if not isinstance(dataset, DualStreamDataset):
            raise TypeError(
                'DualStreamSampler needs train_dataloader.dataset = '
                "dict(type='DualStreamDataset', datasets=[rs_dataset, "
                f'natural_dataset]), got {type(dataset).__name__}')
        if n_rs < 1 or n_nat < 1:
            raise ValueError('n_rs and n_nat must be >= 1, got '
                             f'n_rs={n_rs}, n_nat={n_nat}')
        if epoch_length not in EPOCH_RULES:
            raise ValueError(f'epoch_length must be one of {EPOCH_RULES}, '
                             f'got {epoch_length!r}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.n_rs, self.n_nat = n_rs, n_nat
        self.sizes = dataset.stream_sizes
        if min(self.sizes) == 0:
            raise ValueError(f'DualStreamSampler: a stream is empty '
                             f'(RS: {self.sizes[0]}, natural: '
                             f'{self.sizes[1]} samples)')
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch_length = epoch_length
        self.infinite = infinite
        self.epoch = 0
        self.skip_batches = 0

    @property
    def num_batches(self) -> int:
        """Batches per rank in one epoch (see ``epoch_length``)."""
        passes = [
            math.ceil(size / (n * self.world_size))
            for size, n in zip(self.sizes, (self.n_rs, self.n_nat))
        ]
        return dict(
            longest=max(passes),
            shortest=min(passes),
            rs=passes[0],
            nat=passes[1])[self.epoch_length]

    @property
    def batch_size(self) -> int:
        """Samples per batch and rank: the dataloader's ``batch_size``."""
        return self.n_rs + self.n_nat

    def _stream(self, stream: int, per_batch: int,
                epoch: int) -> torch.Tensor:
        """This rank's indices of one stream for the whole ``epoch``."""
        size = self.sizes[stream]
        needed = self.num_batches * per_batch * self.world_size
        g = torch.Generator()
        # Distinct for every (seed, epoch, stream) and the same on all ranks.
        g.manual_seed(self.seed + 2 * epoch + stream)
        cycles = []
        for _ in range(math.ceil(needed / size)):
            cycles.append(
                torch.randperm(size, generator=g)
                if self.shuffle else torch.arange(size))
        order = torch.cat(cycles)[:needed]
        return order[self.rank::self.world_size]

    def batch_indices(self, epoch: Optional[int] = None,
                      skip: Optional[int] = None) -> List[List[int]]:
        """The batches of this rank in ``epoch`` (default: the current one)
        after the first ``skip`` (default: ``skip_batches``)."""
        epoch = self.epoch if epoch is None else epoch
        skip = self.skip_batches if skip is None else skip
        rs = self._stream(0, self.n_rs, epoch).view(-1, self.n_rs)
        nat = self._stream(1, self.n_nat, epoch).view(-1, self.n_nat) + \
            self.sizes[0]
        return torch.cat([rs, nat], dim=1)[skip:].tolist()

    def _epoch_keys(self, epoch: int, skip: int) -> Iterator[DrawKey]:
        batch_size = self.batch_size
        for b, batch in enumerate(self.batch_indices(epoch, skip),
                                  start=skip):
            # position of each draw in the epoch, unique across ranks
            start = (b * self.world_size + self.rank) * batch_size
            for j, index in enumerate(batch):
                yield index, (self.seed, epoch, start + j)

    def __iter__(self) -> Iterator[DrawKey]:
        yield from self._epoch_keys(self.epoch, self.skip_batches)
        epoch = self.epoch + 1
        while self.infinite:
            yield from self._epoch_keys(epoch, 0)
            epoch += 1

    def __len__(self) -> int:
        # The full epoch even when resuming mid-epoch: mmengine derives
        # max_iters and iteration-based schedules from it.
        return self.num_batches * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Select the permutations of ``epoch``; a new epoch skips nothing."""
        if epoch != self.epoch:
            self.skip_batches = 0
        self.epoch = epoch
