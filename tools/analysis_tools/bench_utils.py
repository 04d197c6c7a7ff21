"""Instruments and report tables of the benchmark tools.

Used by ``benchmark_pretrain.py`` and ``gpu_report.py`` (beside this file;
Python puts a script's folder on ``sys.path``, so they import it as
``bench_utils``): peak memory and its breakdown, host-device syncs of a
step, a DataLoader's wall and CPU time, markdown tables of result rows.
Not part of the ``mmgersp`` package: training never needs them.
"""
import ctypes
import gc
import os
import resource
import sys
import time
from collections import Counter
from typing import Callable, Dict, Iterable, Iterator, List, Optional

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode


# ----------------------------------------------------------------------
# peak memory (MemoryMeter) and what a training step keeps alive
# ----------------------------------------------------------------------
def _proc_status_mb(key: str) -> Optional[float]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _maxrss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == 'darwin' else 1024)


class MemoryMeter:
    """Peak memory above the level when :meth:`start` was called.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the RSS high-water mark
    (``VmHWM``, reset through ``/proc/self/clear_refs``); where the kernel
    offers neither, ``getrusage`` (a process-lifetime peak: ``kind`` says
    ``cpu_ru_maxrss`` and peaks of later work are not their own).
    """

    def __init__(self, device: torch.device) -> None:
        self.device = torch.device(device)
        self.base_mb = 0.
        if self.device.type == 'cuda':
            self.kind = 'cuda_max_allocated'
        elif self._reset_hwm() and _proc_status_mb('VmHWM') is not None:
            self.kind = 'cpu_rss_hwm'
        else:
            self.kind = 'cpu_ru_maxrss'

    @staticmethod
    def _reset_hwm() -> bool:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            return True
        except OSError:
            return False

    def current_mb(self) -> float:
        if self.device.type == 'cuda':
            return torch.cuda.memory_allocated(self.device) / 2**20
        rss = _proc_status_mb('VmRSS')
        return _maxrss_mb() if rss is None else rss

    def peak_mb(self) -> float:
        """Absolute peak since :meth:`start`."""
        if self.device.type == 'cuda':
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        hwm = _proc_status_mb('VmHWM') if self.kind == 'cpu_rss_hwm' else None
        return _maxrss_mb() if hwm is None else hwm

    def start(self) -> float:
        """Free what can be freed, reset the peak; return the base (MB)."""
        gc.collect()
        try:  # give freed heap pages back so RSS reflects live memory
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        elif self.kind == 'cpu_rss_hwm':
            self._reset_hwm()
        self.base_mb = self.current_mb()
        return self.base_mb

    def peak_above_start_mb(self) -> float:
        return self.peak_mb() - self.base_mb


def _mb(tensors: Iterable[torch.Tensor]) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def memory_breakdown(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                     step: Callable[[], object]) -> Dict[str, float]:
    """MB of parameters, buffers, gradients, optimizer state, and of the
    tensors autograd saves for backward during one ``step()``: a
    device-independent account of what dominates peak training memory."""
    params = list(model.parameters())
    param_ptrs = {p.untyped_storage().data_ptr() for p in params}
    saved: Dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in param_ptrs:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    state = [v for s in optimizer.state.values() for v in s.values()
             if isinstance(v, torch.Tensor)]
    out = dict(
        params_mb=_mb(params),
        buffers_mb=_mb(model.buffers()),
        grads_mb=_mb(p for p in params if p.requires_grad),
        optimizer_state_mb=_mb(state),
        saved_for_backward_mb=sum(saved.values()) / 2**20)
    out['total_mb'] = sum(out.values())
    return out


# ----------------------------------------------------------------------
# ops of a step that make the host wait for the device
# ----------------------------------------------------------------------
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


# ----------------------------------------------------------------------
# wall and CPU time of a DataLoader, its workers included
# ----------------------------------------------------------------------
def process_cpu_s(pids: List[int]) -> float:
    """User + system CPU seconds of processes (Linux ``/proc``; 0 where it
    is not available)."""
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf('SC_CLK_TCK')


class EpochBatches:
    """Batches across epochs (``sampler.set_epoch`` as the train loop
    does), remembering the worker processes of the live iterator."""

    def __init__(self, loader) -> None:
        self.loader, self.epoch = loader, 0
        self.it = self._start()

    def _start(self) -> Iterator:
        if hasattr(self.loader.sampler, 'set_epoch'):
            self.loader.sampler.set_epoch(self.epoch)
        it = iter(self.loader)
        self.pids = [w.pid for w in getattr(it, '_workers', [])]
        return it

    def __next__(self):
        try:
            return next(self.it)
        except StopIteration:
            self.epoch += 1
            self.it = self._start()
            return next(self.it)


def measure_loader(loader, warmup: int, iters: int) -> dict:
    """Time ``iters`` batches after ``warmup``: wall seconds per batch and
    the CPU seconds they took -- the loader's workers (decode, transforms,
    collate; read from /proc around the timed batches, so the batches in
    flight at both ends cancel in steady state) plus this process
    (iteration, pinning)."""
    batches = EpochBatches(loader)
    for _ in range(warmup):
        next(batches)
    t0, c0 = time.perf_counter(), time.process_time()
    w0 = process_cpu_s(batches.pids)
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        next(batches)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    main, workers = time.process_time() - c0, process_cpu_s(batches.pids) - w0
    del batches
    return dict(wall_s=wall, cpu_s=main + workers, main_cpu_s=main,
                workers_cpu_s=workers, s_per_batch=times,
                s_per_batch_median=float(np.median(times)))


# ----------------------------------------------------------------------
# markdown tables of result rows
# ----------------------------------------------------------------------
def cell(value) -> str:
    """One table cell: 3 significant digits below 100, whole numbers above;
    a dict of counts as ``key xN`` (``none`` when empty); None as ``-``."""
    if isinstance(value, float):
        return f'{value:.0f}' if abs(value) >= 100 else f'{value:.3g}'
    if isinstance(value, dict):
        return ', '.join(f'{k} x{n}'
                         for k, n in sorted(value.items())) or 'none'
    return '-' if value is None else str(value)


def markdown_table(rows: List[dict],
                   keys: Optional[Iterable[str]] = None) -> str:
    """``rows`` as a markdown table, columns ``keys`` (default: the first
    row's keys); a missing value is ``-``."""
    if not rows:
        return ''
    keys = list(keys or rows[0])
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += ['| ' + ' | '.join(cell(r.get(k)) for k in keys) + ' |'
              for r in rows]
    return '\n'.join(lines)
