"""One-command GPU report: install from wheels, benchmark, train, resume.

On a bare GPU machine (Python with torch/torchvision/numpy/opencv, no
network), from the repository root::

    python3 tools/analysis_tools/gpu_report.py --out OUT \\
        --wheels .device-wheels --rs-root RS_DIR --natural-root CLASS_DIR

Stages (each skippable with ``--skip NAME``; each runs in its own process
and gets what is left of ``--budget-s``, so a slow stage cannot sink the
others):

* ``install``: ``pip install --no-index --no-deps --target`` of every wheel
  in ``--wheels`` (``tools/misc/device_wheels.sh`` makes the folder: the light
  stack, no compile) into ``OUT/site``, then an import check;
* ``synthetic``: GeRSP vs MoCo v2 (``benchmark_pretrain.py``), ResNet-50
  224 px, 32+32 and 64+64, fp32 and bf16 AMP, channels_last off/on:
  samples/s, ratio, peak memory, syncs per step;
* ``loader``: the real GeRSP loader with 8 and 16 workers, CPU colour path
  vs device colour stage: alone (samples/s, CPU ms per sample) and feeding
  training steps (samples/s, share of time waiting on data);
* ``train``: ``tools/train.py`` on the paper config for ``--train-iters``
  iterations with a checkpoint half-way, stopped there, resumed with
  ``--resume`` to the end, and the student backbone exported and loaded with
  ``strict=True``.

Each stage process finds the stack and mmgersp through its ``PYTHONPATH``
(the repository, then ``WORK/site`` once ``install`` has filled it), and
its sibling tools (``benchmark_pretrain``, ``bench_utils``) through the
script's folder; nothing edits ``sys.path``. The driver itself needs only
torch (for the report's tables).

Writes ``OUT/gpu_report.json`` and ``OUT/gpu_report.md``. ``--tiny`` runs
every stage in seconds on CPU (ResNet-18, 32 px): the CI smoke test.
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')
PAPER_CFG = osp.join(REPO, 'configs', 'gersp',
                     'gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py')
STAGES = ('install', 'synthetic', 'loader', 'train')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True, help='folder for the report: '
                   'gpu_report.json, gpu_report.md, gpu_report.log')
    p.add_argument('--work-dir', help='installs, logs, checkpoints (default: '
                   'a new temporary folder)')
    p.add_argument('--wheels', help='wheel folder for the install stage')
    p.add_argument('--rs-root', help='RS images (loader and train stages)')
    p.add_argument('--natural-root', help='class-folder tree of natural '
                   'images (loader and train stages)')
    p.add_argument('--skip', nargs='+', default=[], choices=STAGES)
    p.add_argument('--budget-s', type=float, default=480,
                   help='seconds for all stages together')
    p.add_argument('--tiny', action='store_true',
                   help='ResNet-18, 32 px, 4+4, a few iterations (CPU smoke)')
    p.add_argument('--train-iters', type=int, help='training iterations, '
                   'resumed half-way (default: 200; --tiny: 4)')
    p.add_argument('--stage', choices=STAGES, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    needs_data = {'loader', 'train'} - set(args.skip)
    if needs_data and not (args.rs_root and args.natural_root):
        p.error(f'stages {sorted(needs_data)} need --rs-root and '
                '--natural-root (or --skip them)')
    args.train_iters = args.train_iters or (4 if args.tiny else 200)
    if args.train_iters < 2 or args.train_iters % 2:
        p.error('--train-iters must be an even number >= 2')
    return args


def settings(args) -> dict:
    """Sizes of every stage: the paper's, or tiny ones for a CPU smoke."""
    if args.tiny:
        return dict(device='cpu', common=['--arch', 'resnet18', '--img-size',
                                          '32', '--queue-len', '64',
                                          '--threads', '1'],
                    batches=[4], precisions=['fp32'], layouts=['nchw'],
                    workers=[0], warmup=1, iters=2, loader_iters=2,
                    train_workers=0, amp=False)
    return dict(device='cuda', common=['--arch', 'resnet50', '--img-size',
                                       '224'],
                batches=[32, 64], precisions=['fp32', 'bf16'],
                layouts=['nchw', 'cl'], workers=[8, 16], warmup=5, iters=15,
                loader_iters=100, train_workers=16, amp=True)


# ----------------------------------------------------------------------
# stages (each runs in a child process: python gpu_report.py --stage NAME)
# ----------------------------------------------------------------------
def stage_install(args, s: dict) -> dict:
    site = osp.join(args.work_dir, 'site')
    wheels = sorted(osp.join(args.wheels, f) for f in os.listdir(args.wheels)
                    if f.endswith('.whl')) if args.wheels else []
    if wheels:
        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q',
                        '--no-index', '--no-deps', '--no-compile', '--target',
                        site, *wheels], check=True)
    code = ('import torch, torchvision, mmengine, mmcv, mmpretrain, mmgersp; '
            'print(torch.__version__, torchvision.__version__, '
            'mmengine.__version__, mmcv.__version__, mmpretrain.__version__, '
            'mmgersp.__version__, torch.cuda.is_available())')
    out = subprocess.run([sys.executable, '-c', code], check=True, text=True,
                         capture_output=True, env=child_env(args)).stdout
    names = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain',
             'mmgersp', 'cuda')
    return dict(wheels=[osp.basename(w) for w in wheels],
                versions=dict(zip(names, out.split())))


def _bench(argv: List[str]) -> dict:
    """``benchmark_pretrain.py argv`` in this process; its results."""
    import benchmark_pretrain  # beside this file
    return benchmark_pretrain.main(argv)


def stage_synthetic(args, s: dict) -> dict:
    """The grid of settings, then the fastest one with the device colour
    stage in the GeRSP step (its GPU cost; the loader draws the params)."""
    grid = [(b, prec, layout, False) for b in s['batches']
            for prec in s['precisions'] for layout in s['layouts']]
    grid.append((s['batches'][0], s['precisions'][-1], s['layouts'][-1],
                 True))
    rows = []
    for b, prec, layout, colour in grid:
        argv = [*s['common'], '--device', s['device'], '--batch-size', str(b),
                '--warmup', str(s['warmup']), '--iters', str(s['iters']),
                '--rounds', str(min(3, s['iters']))]
        argv += ['--amp', '--loss-scale', 'none'] * (prec == 'bf16')
        argv += ['--channels-last'] * (layout == 'cl')
        argv += ['--synthetic-colour'] * colour
        argv += ['--memory-breakdown'] * (b == 32 and prec == 'fp32' and
                                          layout == 'nchw')
        r = _bench(argv)
        rows.append(dict(
            batch=b, precision=prec, layout=layout, colour_stage=colour,
            **{f'{m}_{k}': r[m][k] for m in ('gersp', 'moco')
               for k in ('samples_per_s', 'peak_mem_mb',
                         'host_sync_ops_per_step')},
            ratio_time_per_sample=r['ratio_time_per_sample'],
            ratio_peak_mem=r['ratio_peak_mem'],
            ratio_memory_breakdown_total=r.get(
                'ratio_memory_breakdown_total')))
    return dict(rows=rows)


def stage_loader(args, s: dict) -> dict:
    data = ['--rs-root', args.rs_root, '--natural-root', args.natural_root,
            '--device', s['device'], '--warmup', str(s['warmup']),
            '--batch-size', str(s['batches'][0]),
            '--iters', str(s['loader_iters'])]
    alone, feeding = [], []
    for colour in ('cpu', 'device'):
        r = _bench([*s['common'], *data, '--colour', colour, '--data-only',
                    '--workers', *map(str, s['workers'])])
        alone += [{k: v for k, v in row.items() if k != 's_per_batch'}
                  for row in r['data_only']]
        for w in s['workers']:
            amp = ['--amp', '--loss-scale', 'none', '--channels-last'] \
                if s['amp'] else []
            r = _bench([*s['common'], *data, *amp, '--colour', colour,
                        '--data', 'real', '--models', 'gersp', '--workers',
                        str(w), '--no-sync-check'])['gersp']
            feeding.append(dict(colour=colour, workers=w,
                                samples_per_s=r['samples_per_s'],
                                data_fraction=r['data_fraction'],
                                data_s_median=r['data_s_median'],
                                s_per_iter_median=r['s_per_iter_median']))
    return dict(alone=alone, feeding=feeding)


def stage_train(args, s: dict) -> dict:
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from mmgersp.apis.recipe import (set_backbone, set_batch_composition,
                                     set_crop_size, set_max_iters)
    from mmgersp.utils import set_data_roots
    from mmgersp.utils.checkpoint import read_checkpoint  # the one reader
    work = osp.join(args.work_dir, 'train')
    total, half = args.train_iters, args.train_iters // 2
    cfg = Config.fromfile(PAPER_CFG)
    set_data_roots(cfg, args.rs_root, args.natural_root)
    set_max_iters(cfg, total)  # the paper's schedule as a cosine of `total`
    cfg.default_hooks.checkpoint.interval = half
    cfg.default_hooks.logger.interval = max(1, min(50, half // 2))
    dl = cfg.train_dataloader
    dl.update(num_workers=s['train_workers'],
              persistent_workers=s['train_workers'] > 0)
    if args.tiny:
        set_backbone(cfg.model, 'resnet18')
        cfg.model.queue_len = 64
        set_batch_composition(dl, 4, 4)
        set_crop_size(dl, 32)
        cfg.env_cfg.dist_cfg = dict(backend='gloo')
    os.makedirs(work, exist_ok=True)
    # outside the work dir: the Runner dumps its merged config there
    cfg_path = osp.join(args.work_dir, 'train_config.py')
    cfg.dump(cfg_path)
    amp = ['--amp'] * s['amp']
    out = {}
    for name, extra in (('first', ['--cfg-options',
                                   f'train_cfg.max_iters={half}']),
                        ('resumed', ['--resume'])):
        t = time.perf_counter()
        _tool('train.py', cfg_path, '--work-dir', work, *amp, *extra)
        out[f'{name}_s'] = time.perf_counter() - t
    ckpt = osp.join(work, f'iter_{total}.pth')
    meta = read_checkpoint(ckpt)['meta']
    backbone = osp.join(work, 'backbone.pth')
    _tool(osp.join('model_converters', 'export_backbone.py'), ckpt, backbone,
          '--force')
    state = read_checkpoint(backbone)['state_dict']
    state = {k[len('backbone.'):]: v for k, v in state.items()}
    MODELS.build(cfg.model.backbone).load_state_dict(state, strict=True)
    out.update(iters=total, resumed_from=f'iter_{half}.pth',
               final_iter=meta['iter'], backbone_tensors=len(state),
               backbone_strict_load=True,
               depth=cfg.model.backbone.get('depth'),
               scalars=_last_scalars(work))
    return out


def _tool(script: str, *argv: str) -> None:
    """Run ``tools/<script>`` as ``python tools/<script> argv`` would, in
    this process (one interpreter start and import less per call)."""
    import runpy
    saved = sys.argv
    sys.argv = [osp.join(TOOLS, script), *argv]
    try:
        runpy.run_path(sys.argv[0], run_name='__main__')
    except SystemExit as e:
        if e.code:
            raise RuntimeError(f'{script} {" ".join(argv)}: exit {e.code}')
    finally:
        sys.argv = saved


def _last_scalars(work: str) -> dict:
    """Last logged loss and timings (mmengine's vis_data/scalars.json)."""
    found = sorted(
        osp.join(root, f) for root, _, files in os.walk(work)
        for f in files if f == 'scalars.json')
    if not found:
        return {}
    with open(found[-1]) as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
    return {k: last[k] for k in ('iter', 'loss', 'time', 'data_time')
            if k in last}


# ----------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------
def child_env(args) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    site = osp.join(args.work_dir, 'site')
    # the repository's mmgersp first, then the installed stack
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO, site if osp.isdir(site) else '',
                    env.get('PYTHONPATH', '')) if p)
    return env


def run(cmd: List[str], args, log: str, timeout: Optional[float] = None):
    with open(osp.join(args.work_dir, log), 'w') as f:
        proc = subprocess.run(cmd, cwd=REPO, env=child_env(args), stdout=f,
                              stderr=subprocess.STDOUT, timeout=timeout)
    if proc.returncode:
        tail = open(osp.join(args.work_dir, log)).read()[-2000:]
        raise RuntimeError(f'{osp.basename(cmd[1])} failed (exit '
                           f'{proc.returncode}; {log}):\n{tail}')


def main(argv: Optional[List[str]] = None) -> dict:
    given = list(argv if argv is not None else sys.argv[1:])
    args = parse_args(given)
    args.out = osp.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    if args.work_dir is None:  # installs, checkpoints: not for --out
        args.work_dir = tempfile.mkdtemp(prefix='gpu_report_')
    child_argv = [*given, '--work-dir', args.work_dir]
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    if args.stage:  # child (PYTHONPATH from child_env): one stage, its JSON
        res = globals()[f'stage_{args.stage}'](args, settings(args))
        with open(osp.join(args.work_dir, f'stage_{args.stage}.json'),
                  'w') as f:
            json.dump(res, f, indent=1)
        return res
    start = time.perf_counter()
    report = dict(
        command=' '.join([osp.relpath(__file__, REPO), *given]),
        date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
        machine=_machine(), tiny=args.tiny, stages={})
    for name in STAGES:
        left = args.budget_s - (time.perf_counter() - start)
        if name in args.skip or (name == 'install' and not args.wheels):
            report['stages'][name] = dict(status='skipped')
            continue
        if left < 5:
            report['stages'][name] = dict(status='out of time')
            continue
        t = time.perf_counter()
        cmd = [sys.executable, osp.abspath(__file__), '--stage', name,
               *child_argv]
        try:
            run(cmd, args, f'stage_{name}.log', timeout=left)
            with open(osp.join(args.work_dir, f'stage_{name}.json')) as f:
                res = dict(status='ok', **json.load(f))
        except subprocess.TimeoutExpired:
            res = dict(status='out of time')
        except RuntimeError as e:
            res = dict(status='failed', error=str(e)[-1500:])
        res['seconds'] = round(time.perf_counter() - t, 1)
        report['stages'][name] = res
        print(f'{name}: {res["status"]} in {res["seconds"]} s', flush=True)
    report['seconds'] = round(time.perf_counter() - start, 1)
    with open(osp.join(args.out, 'gpu_report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    with open(osp.join(args.out, 'gpu_report.md'), 'w') as f:
        f.write(markdown(report))
    with open(osp.join(args.out, 'gpu_report.log'), 'w') as f:
        for name in STAGES:  # the end of each stage's log
            log = osp.join(args.work_dir, f'stage_{name}.log')
            if osp.exists(log):
                f.write(f'===== {name} =====\n' +
                        open(log, errors='replace').read()[-100_000:] + '\n')
    print(markdown(report))
    return report


def _machine() -> dict:
    out = dict(python=platform.python_version(), cpus=os.cpu_count(),
               host=platform.node())
    try:
        out['gpu'] = subprocess.run(
            ['nvidia-smi', '--query-gpu=name,memory.total,driver_version',
             '--format=csv,noheader'], capture_output=True, text=True,
            timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        out['gpu'] = None
    return out


def markdown(report: dict) -> str:
    from bench_utils import markdown_table as table  # beside this file
    m = report['machine']
    lines = [f"# GPU report ({report['date']})", '',
             f"`{report['command']}`", '',
             f"Machine: {m.get('gpu') or 'no GPU'}, {m['cpus']} CPUs, Python "
             f"{m['python']}; {report['seconds']} s in all.", '']
    for name, st in report['stages'].items():
        lines.append(f"## {name}: {st['status']}"
                     + (f" ({st['seconds']} s)" if 'seconds' in st else ''))
        lines.append('')
        if name == 'install' and 'versions' in st:
            lines.append(table([st['versions']]))
        elif name == 'synthetic':
            lines.append(table(st.get('rows', [])))
        elif name == 'loader':
            lines += [table(st.get('alone', [])), '',
                      table(st.get('feeding', []))]
        elif name == 'train' and st['status'] == 'ok':
            lines.append(table([{k: v for k, v in st.items()
                                 if k not in ('status', 'scalars')}]))
        if 'error' in st:
            lines += ['```', st['error'], '```']
        lines.append('')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
