"""Training throughput of GeRSP vs mmpretrain's MoCo v2, and of the loader.

Both models come from their configs with the same backbone (``--arch``),
image size, RS batch and device, timed on real steps (``model.train_step``;
for GeRSP also the teacher momentum update that ``GeRSPEMAHook`` runs). A
*sample* is one RS sample (two views); GeRSP also trains on ``--n-nat``
natural images per step.

    # synthetic uint8 batches (no loading), ResNet-18 at 64 px on CPU
    python tools/analysis_tools/benchmark_pretrain.py --device cpu \\
        --arch resnet18 --img-size 64 --batch-size 16 --iters 10 \\
        --json r18.json
    # GeRSP with the real loader (device colour stage; --colour cpu: the
    # torchvision pipeline in the workers)
    python tools/analysis_tools/benchmark_pretrain.py --data real \\
        --models gersp --rs-root RS_DIR --natural-root CLASS_DIR --workers 8
    # the loader alone: samples/s and CPU ms per sample (workers + main)
    python tools/analysis_tools/benchmark_pretrain.py --data-only \\
        --rs-root RS_DIR --natural-root CLASS_DIR --workers 0 2

Reported: samples/s, s/iter, data wait, compute and CPU time, peak memory,
host-device syncs of one step (the instruments: ``bench_utils.py`` beside
this file), GeRSP/MoCo ratios. Targets and results: docs/benchmark.md.
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import time
from typing import Dict, List, Optional

import numpy as np
import torch
from bench_utils import (EpochBatches, MemoryMeter, count_sync_ops,
                         markdown_table, measure_loader, memory_breakdown)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO, 'configs', '_base_')
GERSP_MODEL_CFG = osp.join(CFG, 'models', 'gersp_resnet50.py')
GERSP_RUNTIME_CFG = osp.join(CFG, 'default_runtime.py')
GERSP_SCHEDULE_CFG = osp.join(CFG, 'schedules', 'sgd_coslr-restart-100e.py')
DATA_CFGS = dict(
    device=osp.join(CFG, 'datasets', 'millionaid_in1k_dualstream.py'),
    cpu=osp.join(CFG, 'datasets', 'millionaid_in1k_dualstream_cpu-colour.py'))
MOCO_CFG = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'
SUPERVISED_UNITS = 3.0  # forward + backward of one image, in forwards


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction

    from mmgersp.apis.recipe import ARCHS
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', choices=['synthetic', 'real'],
                   default='synthetic', help='synthetic: one pre-built uint8 '
                   'batch reused; real: the GeRSP loader (GeRSP only)')
    p.add_argument('--data-only', action='store_true',
                   help='time only the GeRSP loader, per --workers value')
    p.add_argument('--models', nargs='+', choices=['gersp', 'moco'],
                   default=['gersp', 'moco'])
    p.add_argument('--device', help='default: cuda if available')
    p.add_argument('--arch', choices=sorted(ARCHS), default='resnet50',
                   help='backbone of both models (heads follow its width)')
    p.add_argument('--depth', dest='arch', type=lambda d: f'resnet{d}',
                   choices=[a for a in ARCHS if a.startswith('resnet')],
                   help='ResNet depth: --depth 18 is --arch resnet18')
    p.add_argument('--img-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=32, help='RS samples')
    p.add_argument('--n-nat', type=int, help='natural images (default: '
                   '--batch-size)')
    p.add_argument('--iters', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3, help='untimed iterations '
                   'first; peak memory is read after them')
    p.add_argument('--rounds', type=int, default=1, help='timed iterations '
                   'in this many blocks alternating the models (synthetic)')
    p.add_argument('--amp', action='store_true', help='bf16 where supported')
    p.add_argument('--amp-dtype', choices=['bfloat16', 'float16'])
    p.add_argument('--loss-scale', choices=['dynamic', 'none'],
                   default='dynamic', help='"none": no GradScaler (bf16)')
    p.add_argument('--channels-last', nargs='?', const='full',
                   choices=['full', 'input'], help='NHWC inputs (and, with '
                   '"full", the default, conv weights)')
    p.add_argument('--workers', type=int, nargs='+', default=[2])
    p.add_argument('--colour', choices=['device', 'cpu'], default='device',
                   help='loader pipeline: colour augmentation on the device '
                   '(paper config) or torchvision in the workers')
    p.add_argument('--data-config', help='dataset config to take the loader '
                   'from instead (e.g. an older version, for before/after)')
    p.add_argument('--synthetic-colour', action='store_true', help='time the '
                   'device colour stage with synthetic GeRSP batches too')
    p.add_argument('--rs-root', help='RS image folder (real data)')
    p.add_argument('--natural-root', help='class-folder tree (real data)')
    p.add_argument('--queue-len', type=int, default=65536)
    p.add_argument('--gersp-options', nargs='+', action=DictAction,
                   help='GeRSP model keys, e.g. joint_forward=False')
    p.add_argument('--threads', type=int, help='torch intra-op threads')
    p.add_argument('--no-sync-check', action='store_true')
    p.add_argument('--memory-breakdown', action='store_true')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--json', help='write the results here')
    args = p.parse_args(argv)
    args.n_nat = args.batch_size if args.n_nat is None else args.n_nat
    if min(args.batch_size, args.n_nat, args.iters, args.img_size,
           args.rounds) < 1 or min(args.warmup, *args.workers) < 0 or \
            args.rounds > args.iters:
        p.error('--batch-size, --n-nat, --iters, --img-size and --rounds '
                'must be >= 1, --rounds <= --iters, --warmup and --workers '
                '>= 0')
    if (args.data == 'real' or args.data_only) and not (args.rs_root and
                                                        args.natural_root):
        p.error('real data needs --rs-root and --natural-root')
    if args.data == 'real' and (args.rounds > 1 or 'moco' in args.models):
        p.error('--data real times GeRSP alone (--models gersp) in one round')
    if args.queue_len % args.batch_size:
        p.error(f'--queue-len {args.queue_len} must be a multiple of '
                f'--batch-size {args.batch_size}')
    return args


def environment(device: torch.device) -> dict:
    import mmengine
    import mmpretrain
    return dict(python=platform.python_version(), torch=torch.__version__,
                mmengine=mmengine.__version__,
                mmpretrain=mmpretrain.__version__, device=str(device),
                torch_threads=torch.get_num_threads(), cpus=os.cpu_count(),
                device_name=torch.cuda.get_device_name(device) if
                device.type == 'cuda' else platform.processor(),
                loadavg=os.getloadavg())


def _optim_wrapper_cfg(args, device: torch.device) -> dict:
    from mmengine.config import Config
    optim = Config.fromfile(GERSP_SCHEDULE_CFG).optim_wrapper.to_dict()
    if args.amp:
        if device.type != 'cuda':
            raise SystemExit('--amp needs CUDA (AmpOptimWrapper refuses CPU)')
        optim.update(type='AmpOptimWrapper', dtype=args.amp_dtype or (
            'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'),
            loss_scale='dynamic' if args.loss_scale == 'dynamic' else dict(
                enabled=False))
    return optim


def _set_model(model, args) -> None:
    """The ``--arch`` backbone (heads fitted) and ``--queue-len``."""
    from mmgersp.apis.recipe import set_backbone
    set_backbone(model, args.arch)
    model.queue_len = args.queue_len


def gersp_config(args):
    """GeRSP model (+ loader for real data) as one mmengine Config."""
    from mmengine.config import Config

    from mmgersp.apis.recipe import set_batch_composition, set_crop_size
    from mmgersp.utils import set_data_roots
    cfg = Config.fromfile(args.data_config or DATA_CFGS[args.colour])
    cfg.model = Config.fromfile(GERSP_MODEL_CFG).model
    if args.gersp_options:
        cfg.merge_from_dict(
            {f'model.{k}': v for k, v in args.gersp_options.items()})
    _set_model(cfg.model, args)
    cfg.model.data_preprocessor.channels_last = bool(args.channels_last)
    set_data_roots(cfg, args.rs_root, args.natural_root)
    dl = cfg.train_dataloader
    set_batch_composition(dl, args.batch_size, args.n_nat)
    dl.sampler.seed = args.seed
    set_crop_size(dl, args.img_size)
    return cfg


def build_loader(args, workers: int, pin: bool):
    from mmengine.runner import Runner
    dl = copy.deepcopy(gersp_config(args).train_dataloader.to_dict())
    dl.update(num_workers=workers, pin_memory=pin,
              persistent_workers=workers > 0)
    return Runner.build_dataloader(dl, seed=args.seed)


def build_model(name: str, args):
    from mmengine.config import Config
    from mmengine.hub import get_config
    from mmpretrain.registry import HOOKS, MODELS
    if name == 'gersp':
        cfg = gersp_config(args).model
        hooks = Config.fromfile(GERSP_RUNTIME_CFG).custom_hooks
        hook = HOOKS.build([h for h in hooks
                            if h.type == 'GeRSPEMAHook'][0].to_dict())
    else:
        full = get_config(MOCO_CFG)
        cfg, hook = full.model, None
        _set_model(cfg, args)
        # as the Runner does: the top-level data_preprocessor goes in
        cfg.setdefault('data_preprocessor', full.get('data_preprocessor'))
    model = MODELS.build(cfg.to_dict())
    model.init_weights()
    if name == 'moco' and args.channels_last:
        # SelfSupDataPreprocessor has no channels_last switch: convert its
        # output, as DualStreamDataPreprocessor(channels_last=True) does.
        def _nhwc(module, inputs, output):
            output['inputs'] = [x.contiguous(memory_format=torch.channels_last)
                                for x in output['inputs']]
            return output

        model.data_preprocessor.register_forward_hook(_nhwc)
    return model, hook


def synthetic_batch(name: str, args, pin: bool) -> dict:
    """One collated uint8 batch, shaped as the real loaders produce it."""
    from mmgersp.models.data_preprocessors.batch_augment import \
        draw_colour_params as draw
    from mmpretrain.structures import DataSample
    g, rng = torch.Generator().manual_seed(args.seed), np.random.RandomState()
    n, m, size = args.batch_size, args.n_nat, args.img_size
    colour = args.synthetic_colour and name == 'gersp'

    def pinned(x: torch.Tensor) -> torch.Tensor:
        return x.pin_memory() if pin else x

    def imgs(k: int) -> torch.Tensor:
        return pinned(torch.randint(0, 256, (k, 3, size, size),
                                    dtype=torch.uint8, generator=g))

    def samples(k: int, views: int) -> list:
        return [DataSample(metainfo=dict(colour_params=draw(views, rng=rng))
                           if colour else None) for _ in range(k)]

    views = [imgs(n), imgs(n)]
    if name == 'moco':
        return dict(inputs=views, data_samples=samples(n, 2))
    labels = torch.randint(0, 1000, (m, ), generator=g)
    nat = [s.set_gt_label(int(y)) for s, y in zip(samples(m, 1), labels)]
    return dict(inputs=dict(rs=views, nat=imgs(m)), data_samples=dict(
        rs=samples(n, 2), nat=nat, nat_labels=pinned(labels)))


class Bench:
    """One model with its optimizer, data and timings."""

    def __init__(self, name: str, args, device: torch.device,
                 meter, pin: bool) -> None:
        from mmengine.optim import build_optim_wrapper
        self.name, self.device = name, device
        self.n_rs = args.batch_size
        self.n_nat = args.n_nat if name == 'gersp' else 0
        # forwards of one image per RS sample: query fwd+bwd (3), teacher
        # key (1), natural images fwd+bwd (3 each)
        self.units = 4.0 + 3.0 * self.n_nat / self.n_rs
        self.times: Dict[str, List[float]] = dict(data=[], compute=[], cpu=[])
        self.mem_base = meter.start()
        self.model, self.hook = build_model(name, args)
        self.model.to(device).train()
        if args.channels_last == 'full':
            self.model.to(memory_format=torch.channels_last)
        self.optim_wrapper = build_optim_wrapper(
            self.model, _optim_wrapper_cfg(args, device))
        if args.data == 'real':
            self.batches = EpochBatches(build_loader(args, args.workers[0],
                                                     pin))
        else:
            batch = synthetic_batch(name, args, pin)
            self.batches = iter(lambda: batch, None)
        self.iter, self.max_iters = 0, args.warmup + args.iters + 2
        if self.hook is not None:
            self.model.init_teacher()

    def step(self, data) -> None:
        self.model.train_step(data, self.optim_wrapper)
        if self.hook is not None:  # what GeRSPEMAHook.after_train_iter does
            self.model.momentum_update(
                self.hook.momentum_at(self.iter, self.max_iters))
            self.iter += 1

    def run(self, n: int, record: bool) -> None:
        cuda = self.device.type == 'cuda'
        for _ in range(n):
            t0 = time.perf_counter()
            data = next(self.batches)
            t1, c1 = time.perf_counter(), time.process_time()
            self.step(data)
            if cuda:
                torch.cuda.synchronize(self.device)
            if record:
                self.times['data'].append(t1 - t0)
                self.times['compute'].append(time.perf_counter() - t1)
                self.times['cpu'].append(time.process_time() - c1)

    def summary(self) -> dict:
        t = self.times
        it = [d + c for d, c in zip(t['data'], t['compute'])]
        med = float(np.median(it))
        p10, p90 = np.percentile(it, [10, 90]).tolist()
        return dict(
            n_rs=self.n_rs, n_nat=self.n_nat, iters=len(it),
            samples_per_s=self.n_rs / med, s_per_iter_median=med,
            s_per_iter_p10=p10, s_per_iter_p90=p90,
            **{f'{k}_s_median': float(np.median(t[k])) for k in t},
            data_fraction=sum(t['data']) / sum(it),
            units_per_sample=self.units, supervised_equiv_img_per_s=self.n_rs
            / med * self.units / SUPERVISED_UNITS, s_per_iter=it,
            data_s=t['data'])


def benchmark(args, device: torch.device) -> dict:
    pin = device.type == 'cuda'  # as the paper config's loader
    meter, res, benches = MemoryMeter(device), {}, {}
    for name in args.models:  # one at a time: each peak is its own
        b = benches[name] = Bench(name, args, device, meter, pin)
        b.run(args.warmup, record=False)
        peak = meter.peak_mb()
        res[name] = dict(peak_mem_mb=peak - b.mem_base, peak_mem_abs_mb=peak,
                         mem_kind=meter.kind, host_sync_ops_per_step=None)
    for name, b in benches.items():
        if not args.no_sync_check:
            data = next(b.batches)
            res[name]['host_sync_ops_per_step'] = count_sync_ops(
                lambda: b.step(data))
        if args.memory_breakdown:
            data = next(b.batches)
            res[name]['memory_breakdown'] = memory_breakdown(
                b.model, b.optim_wrapper.optimizer, lambda: b.step(data))
    for r in range(args.rounds):
        for b in benches.values():
            b.run(args.iters // args.rounds + (r < args.iters % args.rounds),
                  record=True)
    for name, b in benches.items():
        res[name].update(b.summary())
    if 'gersp' in res and 'moco' in res:
        g, m = res['gersp'], res['moco']
        ratios = dict(time_per_sample='s_per_iter_median',
                      compute_per_sample='compute_s_median',
                      cpu_time_per_sample='cpu_s_median',
                      peak_mem='peak_mem_mb', floor='units_per_sample')
        res.update({f'ratio_{k}': g[v] / m[v] if m[v] > 0 else None
                    for k, v in ratios.items()})
        if args.memory_breakdown:
            res['ratio_memory_breakdown_total'] = (
                g['memory_breakdown']['total_mb'] /
                m['memory_breakdown']['total_mb'])
    res['optim_wrapper'] = _optim_wrapper_cfg(args, device)
    return res


def benchmark_data(args, device: torch.device) -> dict:
    """The GeRSP loader alone: samples/s and CPU ms per sample (workers and
    main process, ``bench_utils.measure_loader``), per --workers value."""
    pin = device.type == 'cuda'  # as the paper config's loader
    rows = []
    for workers in args.workers:
        loader = build_loader(args, workers, pin)
        images = loader.batch_size * args.iters  # RS + natural
        m = measure_loader(loader, args.warmup, args.iters)
        del loader  # its persistent workers end before the next setting
        n = args.batch_size * args.iters
        rows.append(dict(
            workers=workers, colour=args.colour if not args.data_config else
            osp.basename(args.data_config), n_rs=args.batch_size,
            n_nat=args.n_nat, iters=args.iters,
            samples_per_s=n / m['wall_s'],
            decoded_img_per_s=images / m['wall_s'],
            cpu_ms_per_sample=1000 * m['cpu_s'] / n,
            main_cpu_ms_per_sample=1000 * m['main_cpu_s'] / n,
            s_per_batch_median=m['s_per_batch_median'],
            s_per_batch=m['s_per_batch']))
    return dict(data_only=rows)


def format_table(res: dict) -> str:
    if 'data_only' in res:
        return markdown_table(res['data_only'], (
            'colour', 'workers', 'n_rs', 'n_nat', 's_per_batch_median',
            'samples_per_s', 'decoded_img_per_s', 'cpu_ms_per_sample',
            'main_cpu_ms_per_sample'))
    rows = [dict(res[m], model=m) for m in ('gersp', 'moco') if m in res]
    lines = [markdown_table(rows, (
        'model', 'n_rs', 'n_nat', 's_per_iter_median', 's_per_iter_p10',
        's_per_iter_p90', 'data_s_median', 'compute_s_median', 'cpu_s_median',
        'samples_per_s', 'peak_mem_mb', 'host_sync_ops_per_step'))]
    lines += [f"{r['model']} memory breakdown (MB): " + ', '.join(
        f'{k[:-3]} {v:.0f}' for k, v in r['memory_breakdown'].items())
        for r in rows if 'memory_breakdown' in r]
    if 'ratio_time_per_sample' in res:
        lines.append('\nGeRSP/MoCo ' + ', '.join(
            f'{k[6:]}: {v:.3f}' for k, v in res.items()
            if k.startswith('ratio_') and v is not None))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    from mmpretrain.utils import register_all_modules

    import mmgersp  # noqa: F401  (registers GeRSP and friends)
    from mmgersp.utils.logger import quiet_logger
    register_all_modules(init_default_scope=True)
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda':
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True  # as default_runtime.py
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with quiet_logger():  # no init report
        res = (benchmark_data if args.data_only else benchmark)(args, device)
    res.update(config={k: v for k, v in vars(args).items() if k != 'json'},
               env=environment(device))
    print(format_table(res))
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == '__main__':
    main()
