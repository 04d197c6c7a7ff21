"""Counts the ops of a step that make the host wait for the device."""
from collections import Counter
from typing import Callable, Dict, List

import torch
from torch.utils._python_dispatch import TorchDispatchMode

# aten ops whose result the host must wait for: ``_local_scalar_dense`` is
# what ``.item()``, ``int(t)``, ``float(t)`` and ``bool(t)`` dispatch to; the
# others have data-dependent output shapes.
SYNC_OPS = ('_local_scalar_dense', 'nonzero', 'masked_select', '_unique2',
            'unique_consecutive', 'unique_dim', 'equal', 'is_nonzero',
            'repeat_interleave')


def _devices(args) -> List[torch.device]:
    return [a.device for a in args if isinstance(a, torch.Tensor)]


class SyncCounter(TorchDispatchMode):
    """Context manager counting host-device synchronisations by aten op.

    Besides ``SYNC_OPS``, copies from a CUDA tensor to the host count as
    ``d2h_copy`` and copies from pageable (unpinned) host memory to CUDA as
    ``h2d_pageable_copy``. The ops are the same on CPU, so a CPU run
    already shows what a GPU step would wait on -- except boolean-mask
    indexing (``x[mask]``), which the CPU kernel resolves below the
    dispatcher: only a CUDA run sees its ``nonzero``::

        with SyncCounter() as c:
            step()
        c.counts  # e.g. {'_local_scalar_dense': 3}
    """

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name in SYNC_OPS:
            self.counts[name] += 1
        out = func(*args, **(kwargs or {}))
        if name in ('_to_copy', 'copy_'):
            src = _devices(args[1:2] if name == 'copy_' else args[:1])
            dst = _devices(args[:1] if name == 'copy_' else [out])
            if src and dst and src[0].type != dst[0].type:
                if dst[0].type == 'cpu':
                    self.counts['d2h_copy'] += 1
                elif not (args[1] if name == 'copy_' else args[0]).is_pinned():
                    self.counts['h2d_pageable_copy'] += 1
        return out


def count_sync_ops(step: Callable[[], object]) -> Dict[str, int]:
    """Run ``step`` once; return its sync counts (empty: none)."""
    with SyncCounter() as counter:
        step()
    return dict(counter.counts)
