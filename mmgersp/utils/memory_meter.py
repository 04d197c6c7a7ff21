"""Peak memory of a piece of work, and what a training step keeps alive."""
import ctypes
import gc
import resource
import sys
from typing import Callable, Dict, Iterable, Optional

import torch


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
