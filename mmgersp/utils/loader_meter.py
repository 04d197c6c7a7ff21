"""Wall and CPU time of a DataLoader, its worker processes included."""
import os
import time
from typing import Iterator, List

import numpy as np


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
