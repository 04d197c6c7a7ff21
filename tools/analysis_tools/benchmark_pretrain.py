"""Throughput of GeRSP against mmpretrain's MoCo v2, in one process.

Both models are built from their configs with the same ResNet depth, image
size, RS batch and device, and trained with real mmengine steps:
``model.train_step(data, optim_wrapper)`` (data preprocessing, loss,
backward, SGD step) with an ``OptimWrapper`` / ``AmpOptimWrapper`` built by
``build_optim_wrapper``; for GeRSP the teacher EMA of ``GeRSPEMAHook``
(``GeRSPEMAHook.ema_update``, which the hook runs after every step) is timed
with the step.

* GeRSP: ``configs/_base_/models/gersp_resnet50.py`` (paper model, queue
  65,536), depth overridden; ``n_rs`` RS images (two views) + ``n_nat``
  natural images per step.
* MoCo v2: the model of ``mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-
  200e_in1k.py`` (``MoCo`` + ``MoCoV2Neck``, queue 65,536), same depth;
  ``n_rs`` RS images (two views) per step.

A *sample* is one RS sample, so both models are compared per sample at the
same RS batch. Examples::

    # synthetic uint8 batches (no data loading), ResNet-18 at 64 px on CPU
    python tools/analysis_tools/benchmark_pretrain.py --device cpu \\
        --depth 18 --img-size 64 --batch-size 16 --iters 10 --json r18.json
    # the real dual-stream loader on AID + CIFAR-10 (../shared/data)
    python tools/analysis_tools/benchmark_pretrain.py --data real --workers 2
    # GPU: ResNet-50 at 224, 32 + 32, bf16 AMP and channels_last
    python tools/analysis_tools/benchmark_pretrain.py --device cuda \\
        --batch-size 32 --amp --channels-last
    # only the data pipelines, with 0, 2 and 4 workers
    python tools/analysis_tools/benchmark_pretrain.py --data-only \\
        --workers 0 2 4

Reported per model: samples/s, seconds per iteration (median, p10-p90,
min-max), data time (waiting on the loader), compute time and process CPU
time, supervised-equivalent images/s, peak memory (CUDA max allocated, or CPU
RSS high-water mark, above the level before the model was built), the
host-device synchronisations of one step, and with ``--memory-breakdown``
the MB of parameters, buffers, gradients, optimizer state and tensors saved
for backward; then the GeRSP/MoCo ratios (time per sample, compute, process
CPU time, peak memory) and the issue's targets. CUDA is synchronised only at
the edges of each timed iteration. ``--gersp-options`` overrides GeRSP model
keys (e.g. ``joint_forward=False``). Results: docs/benchmark.md.
"""
import argparse
import copy
import ctypes
import gc
import json
import math
import os
import os.path as osp
import platform
import sys
import time
from collections import Counter
from typing import Callable, Dict, Iterator, List, Optional

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

GERSP_MODEL_CFG = osp.join(REPO, 'configs', '_base_', 'models',
                           'gersp_resnet50.py')
GERSP_RUNTIME_CFG = osp.join(REPO, 'configs', '_base_', 'default_runtime.py')
GERSP_SCHEDULE_CFG = osp.join(REPO, 'configs', '_base_', 'schedules',
                              'sgd_coslr-restart-100e.py')
GERSP_DATA_CFG = osp.join(REPO, 'configs', 'gersp',
                          'gersp_resnet18_1xb16-demo.py')
MOCO_CFG = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'
DEFAULT_RS_ROOT = osp.join(REPO, '..', 'shared', 'data', 'aid')
DEFAULT_NAT_ROOT = osp.join(REPO, '..', 'shared', 'data', 'cifar10', 'train')

# ResNet compute per RS sample, in units of one forward of one image:
# forward + backward = 3. Supervised training of one image costs 3.
SUPERVISED_UNITS = 3.0
# Published reference (MoCo v2 paper setting): 200 epochs of ImageNet on
# 8 V100 in 53 h = about 168 MoCo samples/s per V100.
MOCO_V2_V100_SAMPLES_PER_S = 168.0

# aten ops that make the host wait for the device (on CUDA).
SYNC_OPS = ('_local_scalar_dense', 'nonzero', 'masked_select', '_unique2',
            'unique_consecutive', 'unique_dim', 'equal', 'is_nonzero',
            'repeat_interleave')

TARGET_RATIO = 1.85
TARGET_MEM_RATIO = 1.6
TARGET_H100_SAMPLES_PER_S = 1000.0


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description='GeRSP vs mmpretrain MoCo v2 training throughput',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--data', choices=['synthetic', 'real'],
                   default='synthetic',
                   help='synthetic: one pre-built uint8 batch reused (no '
                   'loading); real: the dual-stream dataloader of '
                   f'{osp.relpath(GERSP_DATA_CFG, REPO)} and MoCo v2\'s '
                   'two-view loader over the same RS images')
    p.add_argument('--data-only', action='store_true',
                   help='time only the data pipelines (real data), once per '
                   '--workers value')
    p.add_argument('--models', nargs='+', choices=['gersp', 'moco'],
                   default=['gersp', 'moco'])
    p.add_argument('--device', default=None,
                   help='cpu, cuda or cuda:N (default: cuda if available)')
    p.add_argument('--depth', type=int, default=50,
                   choices=[18, 34, 50, 101, 152], help='ResNet depth')
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=32,
                   help='RS samples per step (n_rs), the same for both models')
    p.add_argument('--n-nat', type=int, default=None,
                   help='natural images per GeRSP step (default: n_rs)')
    p.add_argument('--iters', type=int, default=20,
                   help='timed iterations per model')
    p.add_argument('--warmup', type=int, default=3,
                   help='untimed iterations per model first (peak memory is '
                   'read after them; >= 2 includes the optimizer state)')
    p.add_argument('--rounds', type=int, default=1,
                   help='split the timed iterations into this many blocks, '
                   'alternating the models (synthetic data only): on a '
                   'shared machine both models then see the same load')
    p.add_argument('--amp', action='store_true',
                   help='AmpOptimWrapper (bf16 where supported, else fp16); '
                   'needs a GPU')
    p.add_argument('--amp-dtype', choices=['bfloat16', 'float16'],
                   default=None)
    p.add_argument('--loss-scale', choices=['dynamic', 'none'],
                   default='dynamic',
                   help='AMP loss scaling; "dynamic" is what tools/train.py '
                   '--amp uses, "none" disables the GradScaler (safe with '
                   'bf16; avoids its per-step found_inf sync)')
    p.add_argument('--channels-last', nargs='?', const='full', default=None,
                   choices=['full', 'input'],
                   help='NHWC memory format; "full" (the default when the '
                   'flag is given) converts inputs and conv weights, '
                   '"input" only the inputs (what the preprocessor option '
                   'does alone)')
    p.add_argument('--no-pin-memory', action='store_true',
                   help='do not pin host batches (pinning only applies to '
                   'CUDA)')
    p.add_argument('--workers', type=int, nargs='+', default=[2],
                   help='dataloader workers (real data); several values '
                   'with --data-only')
    p.add_argument('--rs-root', default=DEFAULT_RS_ROOT)
    p.add_argument('--natural-root', default=DEFAULT_NAT_ROOT)
    p.add_argument('--queue-len', type=int, default=65536)
    p.add_argument('--gersp-options', nargs='+', action=DictAction,
                   default=None, metavar='KEY=VALUE',
                   help='override keys of the GeRSP model config, e.g. '
                   'joint_forward=False teacher_projector=frozen')
    p.add_argument('--threads', type=int, default=None,
                   help='torch intra-op threads (None: torch\'s own default)')
    p.add_argument('--no-sync-check', action='store_true',
                   help='skip counting host-device sync ops in one step')
    p.add_argument('--memory-breakdown', action='store_true',
                   help='one more step per model that adds up the tensors '
                   'autograd saves for backward, next to parameters, '
                   'buffers, gradients and optimizer state: a device-'
                   'independent view of what dominates peak memory')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', default=None, help='write the results here')
    args = p.parse_args(argv)
    args.n_nat = args.batch_size if args.n_nat is None else args.n_nat
    if min(args.batch_size, args.n_nat, args.iters, args.img_size) < 1 or \
            args.warmup < 0 or args.rounds < 1:
        p.error('--batch-size, --n-nat, --iters, --img-size and --rounds '
                'must be >= 1 and --warmup >= 0')
    if args.rounds > args.iters:
        p.error('--rounds cannot exceed --iters')
    if args.data == 'real' and args.rounds > 1:
        p.error('--rounds > 1 needs --data synthetic: the idle loader of the '
                'other model would prefetch and hide its data time')
    if args.queue_len % args.batch_size:
        p.error(f'--queue-len {args.queue_len} must be a multiple of '
                f'--batch-size {args.batch_size} (both models enqueue whole '
                'batches)')
    if min(args.workers) < 0:
        p.error('--workers must be >= 0')
    return args


# ----------------------------------------------------------------------
# environment and memory
# ----------------------------------------------------------------------
def _proc_status_kb(key: str) -> Optional[float]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


class MemoryMeter:
    """Peak memory of one model above the level before it was built.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the RSS high-water mark
    (``VmHWM``, reset through ``/proc/self/clear_refs``); where that is not
    available, ``resource.getrusage`` (a process-lifetime peak).
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        if device.type == 'cuda':
            self.kind = 'cuda_max_allocated'
        elif self._reset_hwm() and _proc_status_kb('VmHWM') is not None:
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

    @staticmethod
    def _release_freed() -> None:
        gc.collect()
        try:  # give freed heap pages back so RSS reflects live memory
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass

    def current_mb(self) -> float:
        if self.device.type == 'cuda':
            return torch.cuda.memory_allocated(self.device) / 2**20
        rss = _proc_status_kb('VmRSS')
        if rss is None:
            import resource
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if sys.platform == 'darwin':
                rss /= 1024
        return rss / 1024

    def peak_mb(self) -> float:
        if self.device.type == 'cuda':
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        key = 'VmHWM' if self.kind == 'cpu_rss_hwm' else None
        if key and _proc_status_kb(key) is not None:
            return _proc_status_kb(key) / 1024
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == 'darwin' else 1024)

    def start(self) -> float:
        """Reset the peak; return the baseline (MB)."""
        self._release_freed()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        elif self.kind == 'cpu_rss_hwm':
            self._reset_hwm()
        return self.current_mb()


def environment(device: torch.device) -> dict:
    env = dict(
        python=platform.python_version(),
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        cpu_count=os.cpu_count(),
        device=str(device),
        platform=platform.platform())
    try:
        import mmengine
        import mmpretrain
        env.update(mmengine=mmengine.__version__,
                   mmpretrain=mmpretrain.__version__)
    except ImportError:
        pass
    if device.type == 'cuda':
        env['device_name'] = torch.cuda.get_device_name(device)
    else:
        try:
            with open('/proc/cpuinfo') as f:
                names = [line.split(':', 1)[1].strip() for line in f
                         if line.startswith('model name')]
            env['device_name'] = names[0] if names else platform.processor()
        except OSError:
            env['device_name'] = platform.processor()
    return env


def loadavg() -> Optional[List[float]]:
    try:
        return [float(x) for x in open('/proc/loadavg').read().split()[:3]]
    except OSError:
        return None


# ----------------------------------------------------------------------
# host-device synchronisation counter
# ----------------------------------------------------------------------
def count_sync_ops(step: Callable[[], None]) -> Dict[str, int]:
    """Run ``step`` once and count the aten ops that wait for the device.

    ``_local_scalar_dense`` is what ``.item()``, ``int(t)``, ``float(t)``
    and ``bool(t)`` dispatch to; ``nonzero`` & co. have data-dependent
    output shapes. Copies between CUDA and pageable host memory are counted
    as ``d2h_copy`` / ``h2d_pageable_copy``. Counting works on CPU too (the
    ops are the same), so a CPU run already shows what a GPU step would
    wait on.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    counts: Counter = Counter()

    def _devices(args) -> List[torch.device]:
        return [a.device for a in args if isinstance(a, torch.Tensor)]

    class _Counter(TorchDispatchMode):

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = func.overloadpacket.__name__
            if name in SYNC_OPS:
                counts[name] += 1
            out = func(*args, **kwargs)
            if name in ('_to_copy', 'copy_', 'to'):
                src = _devices(args[1:2] if name == 'copy_' else args[:1])
                dst = _devices(args[:1] if name == 'copy_' else [out])
                if src and dst:
                    if src[0].type == 'cuda' and dst[0].type == 'cpu':
                        counts['d2h_copy'] += 1
                    elif (src[0].type == 'cpu' and dst[0].type == 'cuda'
                          and not (args[1] if name == 'copy_' else
                                   args[0]).is_pinned()):
                        counts['h2d_pageable_copy'] += 1
            return out

    with _Counter():
        step()
    return dict(counts)


# ----------------------------------------------------------------------
# models
# ----------------------------------------------------------------------
def _feat_channels(depth: int) -> int:
    return 512 if depth in (18, 34) else 2048


def _optim_wrapper_cfg(args, device: torch.device) -> dict:
    from mmengine.config import Config
    optim = copy.deepcopy(
        Config.fromfile(GERSP_SCHEDULE_CFG).optim_wrapper.to_dict())
    if args.amp:
        if device.type != 'cuda':
            raise SystemExit(
                '--amp needs a CUDA device: mmengine\'s AmpOptimWrapper '
                'refuses to run on CPU')
        dtype = args.amp_dtype or ('bfloat16'
                                   if torch.cuda.is_bf16_supported() else
                                   'float16')
        optim.update(
            type='AmpOptimWrapper',
            dtype=dtype,
            loss_scale='dynamic' if args.loss_scale == 'dynamic' else dict(
                enabled=False))
    return optim


def build_gersp(args, device: torch.device):
    from mmengine.config import Config
    from mmpretrain.registry import HOOKS, MODELS
    full = Config.fromfile(GERSP_MODEL_CFG)
    if args.gersp_options:
        full.merge_from_dict(
            {f'model.{k}': v for k, v in args.gersp_options.items()})
    cfg = full.model
    ch = _feat_channels(args.depth)
    cfg.queue_len = args.queue_len
    cfg.backbone.depth = args.depth
    cfg.neck.update(in_channels=ch, hid_channels=ch)
    cfg.cls_head.in_channels = ch
    cfg.data_preprocessor.channels_last = bool(args.channels_last)
    model = MODELS.build(cfg.to_dict())
    model.init_weights()
    # The Runner's hook, as configured in default_runtime.py.
    ema_cfg = [h for h in Config.fromfile(GERSP_RUNTIME_CFG).custom_hooks
               if h.type == 'GeRSPEMAHook'][0]
    hook = HOOKS.build(ema_cfg.to_dict())
    return model, hook


def build_moco(args, device: torch.device):
    from mmengine.hub import get_config
    from mmpretrain.registry import MODELS
    full = get_config(MOCO_CFG)
    cfg = full.model
    ch = _feat_channels(args.depth)
    cfg.queue_len = args.queue_len
    cfg.backbone.depth = args.depth
    cfg.neck.update(in_channels=ch, hid_channels=ch)
    # As the Runner does: the top-level data_preprocessor goes to the model.
    cfg.setdefault('data_preprocessor', full.get('data_preprocessor'))
    model = MODELS.build(cfg.to_dict())
    model.init_weights()
    if args.channels_last:
        # SelfSupDataPreprocessor has no channels_last switch: convert its
        # output, as DualStreamDataPreprocessor(channels_last=True) does.
        def _nhwc(module, inputs, output):
            output['inputs'] = [
                x.contiguous(memory_format=torch.channels_last)
                for x in output['inputs']
            ]
            return output

        model.data_preprocessor.register_forward_hook(_nhwc)
    return model, None


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------
def _set_crop(pipeline, size: int) -> None:
    """Set every RandomResizedCrop (also inside MultiView) to ``size``."""
    for t in pipeline:
        if isinstance(t, (list, tuple)):
            _set_crop(t, size)
        elif isinstance(t, dict):
            if t.get('type') == 'RandomResizedCrop':
                t['scale'] = size
            if 'transforms' in t:
                _set_crop(t['transforms'], size)


def moco_pipeline(img_size: int) -> list:
    """MoCo v2's two-view pipeline from mmpretrain's config.

    mmpretrain's numpy ``ColorJitter`` calls mmcv 2.1's ``adjust_hue``, which
    overflows under numpy 2 (``OverflowError: Python integer -12 out of
    bounds for uint8``); the same jitter runs in torchvision, as GeRSP's
    pipeline does. Everything else is mmpretrain's.
    """
    from mmengine.hub import get_config
    pipeline = copy.deepcopy(get_config(MOCO_CFG).to_dict()['train_pipeline'])

    def _fix(ts):
        for t in ts:
            if isinstance(t, (list, tuple)):
                _fix(t)
            elif isinstance(t, dict):
                if t.get('type') == 'RandomApply' and any(
                        s.get('type') == 'ColorJitter'
                        for s in t['transforms']):
                    jit = [s for s in t['transforms']
                           if s.get('type') == 'ColorJitter'][0]
                    t['transforms'] = [
                        dict(type='NumpyToPIL', to_rgb=True),
                        dict(type='torchvision/ColorJitter',
                             **{k: v for k, v in jit.items() if k != 'type'}),
                        dict(type='PILToNumpy', to_bgr=True),
                    ]
                elif 'transforms' in t:
                    _fix(t['transforms'])

    _fix(pipeline)
    _set_crop(pipeline, img_size)
    return pipeline


def gersp_loader_cfg(args, workers: int, pin: bool) -> dict:
    from mmengine.config import Config
    from mmgersp.utils import set_data_roots
    cfg = Config.fromfile(GERSP_DATA_CFG)
    set_data_roots(cfg, args.rs_root, args.natural_root)
    dl = cfg.train_dataloader
    dl.batch_size = args.batch_size + args.n_nat
    dl.sampler.update(n_rs=args.batch_size, n_nat=args.n_nat, seed=args.seed)
    dl.num_workers = workers
    dl.pin_memory = pin
    dl.persistent_workers = workers > 0
    for ds in dl.dataset.datasets:
        _set_crop(ds.pipeline, args.img_size)
    return dl.to_dict()


def moco_loader_cfg(args, workers: int, pin: bool) -> dict:
    return dict(
        batch_size=args.batch_size,
        num_workers=workers,
        pin_memory=pin,
        persistent_workers=workers > 0,
        drop_last=True,
        sampler=dict(type='DefaultSampler', shuffle=True, seed=args.seed),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='RSImageFolder', data_root=args.rs_root,
                     pipeline=moco_pipeline(args.img_size)))


def build_loader(cfg: dict, seed: int):
    from mmengine.runner import Runner
    return Runner.build_dataloader(copy.deepcopy(cfg), seed=seed)


def endless(loader) -> Iterator:
    """Iterate a loader across epochs, as the train loop does."""
    epoch = 0
    while True:
        if hasattr(loader.sampler, 'set_epoch'):
            loader.sampler.set_epoch(epoch)
        yield from loader
        epoch += 1


def synthetic_batch(name: str, args, pin: bool) -> dict:
    """One collated uint8 batch, shaped as the real loaders produce it."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(args.seed)
    s, n = args.img_size, args.batch_size

    def imgs(k):
        x = torch.randint(0, 256, (k, 3, s, s), dtype=torch.uint8,
                          generator=g)
        return x.pin_memory() if pin else x

    views = [imgs(n), imgs(n)]
    if name == 'moco':
        return dict(inputs=views, data_samples=[DataSample()
                                                for _ in range(n)])
    labels = torch.randint(0, 1000, (args.n_nat, ), generator=g)
    return dict(
        inputs=dict(rs=views, nat=imgs(args.n_nat)),
        data_samples=dict(
            rs=[DataSample() for _ in range(n)],
            nat=[DataSample().set_gt_label(int(y)) for y in labels]))


# ----------------------------------------------------------------------
# timing
# ----------------------------------------------------------------------
class Bench:
    """One model with its optimizer, data and timings."""

    def __init__(self, name: str, args, device: torch.device,
                 meter: MemoryMeter, pin: bool) -> None:
        from mmengine.optim import build_optim_wrapper
        self.name, self.args, self.device = name, args, device
        self.n_rs = args.batch_size
        self.n_nat = args.n_nat if name == 'gersp' else 0
        # forward + backward of the query (3) and of the natural images,
        # forward of the teacher key (1), per RS sample.
        self.units = 4.0 + 3.0 * self.n_nat / self.n_rs
        self.data_time: List[float] = []
        self.compute_time: List[float] = []
        self.cpu_time: List[float] = []

        self.mem_base = meter.start()
        build = build_gersp if name == 'gersp' else build_moco
        self.model, self.hook = build(args, device)
        self.model.to(device)
        if args.channels_last == 'full':
            self.model.to(memory_format=torch.channels_last)
        self.model.train()
        self.optim_wrapper = build_optim_wrapper(
            self.model, _optim_wrapper_cfg(args, device))

        self.loader = None
        if args.data == 'real':
            cfg = (gersp_loader_cfg if name == 'gersp' else moco_loader_cfg)(
                args, args.workers[0], pin)
            self.loader = build_loader(cfg, args.seed)
            self.batches = endless(self.loader)
        else:
            batch = synthetic_batch(name, args, pin)
            self.batches = iter(lambda: batch, None)

        self.iter, self.max_iters = 0, args.warmup + args.iters + 1
        if self.hook is not None:
            self.hook.copy_student_to_teacher(self.model)

    def step(self, data) -> None:
        self.model.train_step(data, self.optim_wrapper)
        if self.hook is not None:  # what GeRSPEMAHook.after_train_iter does
            self.hook.ema_update(
                self.model, self.hook.momentum_at(self.iter, self.max_iters))
            self.iter += 1

    def run(self, n: int, record: bool) -> None:
        cuda = self.device.type == 'cuda'
        if cuda:
            torch.cuda.synchronize(self.device)
        for _ in range(n):
            t0 = time.perf_counter()
            data = next(self.batches)
            t1, c1 = time.perf_counter(), time.process_time()
            self.step(data)
            if cuda:
                torch.cuda.synchronize(self.device)
            t2, c2 = time.perf_counter(), time.process_time()
            if record:
                self.data_time.append(t1 - t0)
                self.compute_time.append(t2 - t1)
                self.cpu_time.append(c2 - c1)

    def sync_ops(self) -> Dict[str, int]:
        data = next(self.batches)
        return count_sync_ops(lambda: self.step(data))

    def memory_breakdown(self) -> Dict[str, float]:
        """MB of persistent state and of activations saved for backward."""
        params = list(self.model.parameters())
        param_ptrs = {p.untyped_storage().data_ptr() for p in params}
        saved: Dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            storage = t.untyped_storage()
            if storage.data_ptr() not in param_ptrs:
                saved[storage.data_ptr()] = storage.nbytes()
            return t

        data = next(self.batches)
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            self.step(data)

        def mb(ts) -> float:
            return sum(t.numel() * t.element_size() for t in ts) / 2**20

        state = [
            v for s in self.optim_wrapper.optimizer.state.values()
            for v in s.values() if isinstance(v, torch.Tensor)
        ]
        out = dict(
            params_mb=mb(params),
            buffers_mb=mb(self.model.buffers()),
            grads_mb=mb(p for p in params if p.requires_grad),
            optimizer_state_mb=mb(state),
            saved_for_backward_mb=sum(saved.values()) / 2**20)
        out['total_mb'] = sum(out.values())
        return out

    def close(self) -> None:
        self.batches = None
        self.loader = None
        gc.collect()


def _pct(xs: List[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summarize(b: Bench, peak_mb: float, abs_peak_mb: float, mem_kind: str,
              sync: Optional[dict]) -> dict:
    it = [d + c for d, c in zip(b.data_time, b.compute_time)]
    med = _pct(it, 0.5)
    sps = b.n_rs / med
    return dict(
        n_rs=b.n_rs,
        n_nat=b.n_nat,
        images_per_iter=2 * b.n_rs + b.n_nat,
        iters=len(it),
        samples_per_s=sps,
        samples_per_s_mean=b.n_rs * len(it) / sum(it),
        s_per_iter_median=med,
        s_per_iter_p10=_pct(it, 0.1),
        s_per_iter_p90=_pct(it, 0.9),
        s_per_iter_min=min(it),
        s_per_iter_max=max(it),
        data_s_median=_pct(b.data_time, 0.5),
        compute_s_median=_pct(b.compute_time, 0.5),
        data_fraction=sum(b.data_time) / sum(it),
        cpu_s_median=_pct(b.cpu_time, 0.5),
        units_per_sample=b.units,
        supervised_equiv_img_per_s=sps * b.units / SUPERVISED_UNITS,
        peak_mem_mb=peak_mb,
        peak_mem_abs_mb=abs_peak_mb,
        mem_kind=mem_kind,
        host_sync_ops_per_step=sync,
        s_per_iter=it,
        data_s=b.data_time)


def benchmark(args, device: torch.device) -> dict:
    pin = device.type == 'cuda' and not args.no_pin_memory
    meter = MemoryMeter(device)
    benches, mem = {}, {}
    # Build and warm up one model at a time, so each peak is its own.
    for name in args.models:
        b = Bench(name, args, device, meter, pin)
        b.run(args.warmup, record=False)
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        peak = meter.peak_mb()
        mem[name] = (peak - b.mem_base, peak)
        benches[name] = b
    syncs, breakdown = {}, {}
    if not args.no_sync_check:
        for name, b in benches.items():
            syncs[name] = b.sync_ops()
    if args.memory_breakdown:
        for name, b in benches.items():
            breakdown[name] = b.memory_breakdown()
    # Timed iterations, in --rounds blocks alternating the models.
    sizes = [args.iters // args.rounds + (r < args.iters % args.rounds)
             for r in range(args.rounds)]
    load_before = loadavg()
    for n in sizes:
        for b in benches.values():
            b.run(n, record=True)
    results = dict(
        config=dict(
            {k: v for k, v in vars(args).items() if k != 'json'},
            optim_wrapper=_optim_wrapper_cfg(args, device),
            pin_memory=pin),
        env=dict(environment(device), loadavg_before=load_before,
                 loadavg_after=loadavg()))
    for name, b in benches.items():
        results[name] = summarize(b, mem[name][0], mem[name][1], meter.kind,
                                  syncs.get(name))
        if name in breakdown:
            results[name]['memory_breakdown'] = breakdown[name]
        b.close()
    if 'gersp' in results and 'moco' in results:
        g, m = results['gersp'], results['moco']
        results['ratio_time_per_sample'] = (g['s_per_iter_median'] /
                                            m['s_per_iter_median'])
        results['ratio_compute_per_sample'] = (g['compute_s_median'] /
                                               m['compute_s_median'])
        results['ratio_cpu_time_per_sample'] = (g['cpu_s_median'] /
                                                m['cpu_s_median'])
        results['ratio_peak_mem'] = g['peak_mem_mb'] / m['peak_mem_mb'] \
            if m['peak_mem_mb'] > 0 else None
        results['ratio_floor'] = g['units_per_sample'] / m['units_per_sample']
        results['reference'] = dict(
            moco_v2_v100_samples_per_s=MOCO_V2_V100_SAMPLES_PER_S,
            moco_v2_v100_supervised_equiv_img_per_s=(
                MOCO_V2_V100_SAMPLES_PER_S * m['units_per_sample'] /
                SUPERVISED_UNITS))
        if breakdown:
            results['ratio_memory_breakdown_total'] = (
                breakdown['gersp']['total_mb'] / breakdown['moco']['total_mb'])
        results['targets'] = targets(results, args, device)
    return results


def targets(res: dict, args, device: torch.device) -> dict:
    out = dict(time_per_sample_ratio=dict(
        target=f'<= {TARGET_RATIO}', value=res['ratio_time_per_sample'],
        met=res['ratio_time_per_sample'] <= TARGET_RATIO))
    if device.type == 'cuda':
        r = res['ratio_peak_mem']
        out['peak_mem_ratio'] = dict(
            target=f'<= {TARGET_MEM_RATIO} (GPU, 32+32 vs 32)', value=r,
            met=None if r is None else r <= TARGET_MEM_RATIO,
            applies=args.batch_size == 32 and args.n_nat == 32)
        name = res['env'].get('device_name', '')
        sps = res['gersp']['samples_per_s']
        out['h100_amp_samples_per_s'] = dict(
            target=f'>= {TARGET_H100_SAMPLES_PER_S:.0f} (H100, R50 224 AMP)',
            value=sps, met=sps >= TARGET_H100_SAMPLES_PER_S,
            applies=('H100' in name and args.amp and args.depth == 50
                     and args.img_size == 224))
    return out


# ----------------------------------------------------------------------
# data-loading only
# ----------------------------------------------------------------------
def benchmark_data(args, device: torch.device) -> dict:
    pin = device.type == 'cuda' and not args.no_pin_memory
    rows = []
    for workers in args.workers:
        for name in args.models:
            cfg = (gersp_loader_cfg if name == 'gersp' else moco_loader_cfg)(
                args, workers, pin)
            loader = build_loader(cfg, args.seed)
            it = endless(loader)
            for _ in range(args.warmup):
                next(it)
            times = []
            for _ in range(args.iters):
                t0 = time.perf_counter()
                next(it)
                times.append(time.perf_counter() - t0)
            del it, loader
            gc.collect()
            n_rs = args.batch_size
            n_nat = args.n_nat if name == 'gersp' else 0
            total = sum(times)
            rows.append(dict(
                model=name, workers=workers, n_rs=n_rs, n_nat=n_nat,
                iters=args.iters,
                samples_per_s=n_rs * args.iters / total,
                decoded_img_per_s=(n_rs + n_nat) * args.iters / total,
                views_per_s=(2 * n_rs + n_nat) * args.iters / total,
                s_per_batch_median=_pct(times, 0.5),
                s_per_batch=times))
    return dict(
        config=dict({k: v for k, v in vars(args).items() if k != 'json'},
                    pin_memory=pin),
        env=dict(environment(device), loadavg=loadavg()),
        data_only=rows)


# ----------------------------------------------------------------------
# output
# ----------------------------------------------------------------------
def _fmt_sync(s: Optional[dict]) -> str:
    if s is None:
        return '-'
    return ', '.join(f'{k} x{v}' for k, v in sorted(s.items())) or 'none'


def format_table(res: dict) -> str:
    if 'data_only' in res:
        lines = ['| pipeline | workers | RS batch | nat | s/batch median | '
                 'RS samples/s | decoded img/s | views/s |',
                 '|---|---|---|---|---|---|---|---|']
        for r in res['data_only']:
            lines.append(
                f"| {r['model']} | {r['workers']} | {r['n_rs']} | "
                f"{r['n_nat']} | {r['s_per_batch_median']:.3f} | "
                f"{r['samples_per_s']:.1f} | {r['decoded_img_per_s']:.1f} | "
                f"{r['views_per_s']:.1f} |")
        return '\n'.join(lines)
    lines = ['| model | RS + nat | s/iter median | p10-p90 | data s | '
             'compute s | CPU s | RS samples/s | sup.-eq. img/s | '
             'peak mem MB | syncs/step |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for name in ('gersp', 'moco'):
        if name not in res:
            continue
        r = res[name]
        lines.append(
            f"| {name} | {r['n_rs']} + {r['n_nat']} | "
            f"{r['s_per_iter_median']:.3f} | {r['s_per_iter_p10']:.3f}-"
            f"{r['s_per_iter_p90']:.3f} | {r['data_s_median']:.3f} | "
            f"{r['compute_s_median']:.3f} | {r['cpu_s_median']:.3f} | "
            f"{r['samples_per_s']:.1f} | "
            f"{r['supervised_equiv_img_per_s']:.1f} | "
            f"{r['peak_mem_mb']:.0f} | "
            f"{_fmt_sync(r['host_sync_ops_per_step'])} |")
    for name in ('gersp', 'moco'):
        bd = res.get(name, {}).get('memory_breakdown')
        if bd:
            lines.append(
                f"{name} memory breakdown (MB): params {bd['params_mb']:.0f}, "
                f"buffers {bd['buffers_mb']:.0f}, grads {bd['grads_mb']:.0f}, "
                f"optimizer {bd['optimizer_state_mb']:.0f}, saved for "
                f"backward {bd['saved_for_backward_mb']:.0f}, total "
                f"{bd['total_mb']:.0f}")
    if 'ratio_time_per_sample' in res:
        lines.append('')
        mem = res['ratio_peak_mem']
        lines.append(
            f"GeRSP/MoCo time per sample: {res['ratio_time_per_sample']:.3f}"
            f" (compute only {res['ratio_compute_per_sample']:.3f}; "
            f"process CPU time {res['ratio_cpu_time_per_sample']:.3f}; "
            f"floor {res['ratio_floor']:.2f}); peak memory ratio: "
            + (f'{mem:.2f}' if mem is not None else '-')
            + (f"; memory breakdown total ratio: "
               f"{res['ratio_memory_breakdown_total']:.2f}"
               if 'ratio_memory_breakdown_total' in res else ''))
        for key, t in res['targets'].items():
            if t.get('applies', True) is False:
                state = 'n/a here'
            else:
                state = 'met' if t['met'] else 'NOT met'
            val = t['value']
            lines.append(f'target {key} {t["target"]}: '
                         + (f'{val:.3f}' if val is not None else '-')
                         + f' -> {state}')
    env = res['env']
    lines.append(
        f"device: {env.get('device_name')} ({env['device']}), torch "
        f"{env['torch']}, {env['torch_threads']} threads, loadavg "
        f"{env.get('loadavg_before') or env.get('loadavg')}")
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    import mmgersp  # noqa: F401  (registers GeRSP and friends)
    from mmengine.logging import MMLogger
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # no per-parameter init_weights report
    try:
        return _main(args)
    finally:
        logger.setLevel(level)


def _main(args: argparse.Namespace) -> dict:
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda':
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True  # as default_runtime.py
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    if args.data_only:
        res = benchmark_data(args, device)
    else:
        res = benchmark(args, device)
    print(format_table(res))
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == '__main__':
    main()
