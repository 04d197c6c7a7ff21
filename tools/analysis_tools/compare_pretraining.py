"""GeRSP against the paper's baselines in one command: train, score, tabulate.

    python tools/analysis_tools/compare_pretraining.py \\
        --natural-root NAT_TREE --eval-root HELD_OUT_TREE \\
        (--rs-root RS_FOLDER | --rs-split 0.5) --work-dir DIR \\
        [--variants gersp moco-maid moco-in-maid supervised random]
        [--seeds 0 1 2] [--iters 100] [--depth 18] [--img-size 64]
        [--n-rs 16] [--n-nat 16] [--queue-len auto] [--lr 0.003]
        [--momentum 0.99] [--workers 1] [--cfg-options key=value ...]

Each variant is built by mmengine's ``Runner`` from its pre-training config
in ``configs/gersp/`` (the paper-scale recipe) with the *same* overrides:
backbone depth, crop size, RS/natural images per step, queue length, teacher
momentum (GeRSP's projector follows by EMA, as MoCo v2's does), an
iteration-based cosine schedule of ``--iters`` steps, seed and data roots.
So the variants differ only in what their configs say the method is:

============  ===================================================  ========
variant       config (configs/gersp/)                              data
============  ===================================================  ========
gersp         gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py   RS + nat
moco-maid     mocov2_resnet50_8xb32-coslr-100e_millionaid.py       RS
moco-in-maid  mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py  RS + nat,
                                                                   no labels
supervised    supervised_resnet50_8xb32-coslr-100e_in1k.py         nat
random        no pre-training (mmpretrain's ResNet initialisation)
============  ===================================================  ========

Every backbone is exported (``export_backbone``, as a user would) and scored
by kNN and linear probe on frozen features of the held-out labeled tree
(``mmgersp.evaluation``, the code behind ``eval_features.py``; one fixed
50/50 split for all cells). ``--rs-split R`` pre-trains on a deterministic
share ``R`` of every class of ``--eval-root`` (labels dropped) and evaluates
on the rest; the two parts are written as symlink trees under
``DIR/data``. Each (variant, seed) cell writes ``DIR/cells/<variant>_seed<s>
.json`` (scores, loss curve, timings) and is skipped when that file exists,
so an interrupted comparison resumes where it stopped. The table (mean +-
sample std over seeds) is printed and written to ``DIR/table.md`` and
``DIR/summary.json``, the bar chart to ``DIR/comparison.png``. Runs on
whatever device mmengine picks (``CUDA_VISIBLE_DEVICES=`` forces the CPU).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import time
import uuid
from typing import Dict, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs', 'gersp')

VARIANTS = {
    'gersp': 'gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py',
    'moco-maid': 'mocov2_resnet50_8xb32-coslr-100e_millionaid.py',
    'moco-in-maid': 'mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py',
    'supervised': 'supervised_resnet50_8xb32-coslr-100e_in1k.py',
    'random': None,
}
LABELS = {
    'gersp': 'GeRSP',
    'moco-maid': 'MoCo, RS only',
    'moco-in-maid': 'MoCo, RS + natural, no labels',
    'supervised': 'supervised, natural only',
    'random': 'random init',
}
# The loss terms under one name across variants (curves in the cell JSON).
LOSS_NAMES = {
    'moco-maid': dict(loss='loss_contrast'),
    'moco-in-maid': dict(loss='loss_contrast'),
    'supervised': dict(loss='loss_cls'),
}
# Settings that change the numbers: a work dir holding cells made with
# other values is refused instead of mixed into one table.
SETTINGS = ('iters', 'depth', 'img_size', 'n_rs', 'n_nat', 'queue_len',
            'lr', 'momentum', 'temperature', 'rs_root', 'natural_root',
            'eval_root', 'eval_train_ratio', 'k', 'cfg_options')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--rs-root', help='folder of RS images for pre-training '
                   '(any depth, labels unused)')
    p.add_argument('--rs-split', type=float, metavar='RATIO',
                   help='instead of --rs-root: pre-train on this share of '
                   'each class of --eval-root, evaluate on the rest')
    p.add_argument('--natural-root', required=True,
                   help='labeled natural images, <root>/<class>/<image>')
    p.add_argument('--eval-root', required=True,
                   help='labeled RS images, <root>/<class>/<image>')
    p.add_argument('--work-dir', required=True)
    p.add_argument('--variants', nargs='+', choices=list(VARIANTS),
                   default=list(VARIANTS))
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--iters', type=int, default=100,
                   help='pre-training iterations per variant and seed')
    p.add_argument('--depth', type=int, default=18,
                   choices=[18, 34, 50, 101, 152])
    p.add_argument('--img-size', type=int, default=64,
                   help='pre-training crop and evaluation size')
    p.add_argument('--n-rs', type=int, default=16,
                   help='RS images per step (GeRSP, both MoCo variants)')
    p.add_argument('--n-nat', type=int, default=16,
                   help='natural images per step (GeRSP, MoCo on both '
                   'streams, supervised)')
    p.add_argument('--queue-len', default='auto',
                   help="negative keys; 'auto': the largest multiple of "
                   'n_rs + n_nat not above half the RS images, so the '
                   "queue never holds keys of a query's own image (see "
                   'docs/pretraining_comparison.md)')
    p.add_argument('--lr', type=float, default=0.003,
                   help='SGD lr, cosine-annealed to 0.001 over --iters '
                   '(MoCo v2\'s 0.03 per 256 images scaled to 32; 0.03 '
                   'makes short runs worse, docs/pretraining_comparison.md)')
    p.add_argument('--momentum', type=float, default=0.99,
                   help='teacher EMA momentum (GeRSP and MoCo alike)')
    p.add_argument('--temperature', type=float, default=None,
                   help='InfoNCE temperature (default: the configs\', 0.07)')
    p.add_argument('--workers', type=int, default=1,
                   help='dataloader workers per pre-training run')
    p.add_argument('--eval-train-ratio', type=float, default=0.5,
                   help='share of each held-out class used as kNN memory / '
                   'probe training set (fixed split, seed 0)')
    p.add_argument('--k', type=int, default=20, help='kNN neighbours')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   default=None, metavar='KEY=VALUE',
                   help='overrides applied to every pre-training config')
    args = p.parse_args(argv)
    if (args.rs_root is None) == (args.rs_split is None):
        p.error('give exactly one of --rs-root and --rs-split')
    if args.rs_split is not None and not 0 < args.rs_split < 1:
        p.error(f'--rs-split must be in (0, 1), got {args.rs_split}')
    if min(args.iters, args.n_rs, args.n_nat, args.img_size) < 1:
        p.error('--iters, --n-rs, --n-nat and --img-size must be >= 1')
    if not 0 <= args.momentum < 1:
        p.error(f'--momentum must be in [0, 1), got {args.momentum}')
    if args.queue_len != 'auto':
        try:
            args.queue_len = int(args.queue_len)
        except ValueError:
            p.error(f"--queue-len must be an integer or 'auto', got "
                    f'{args.queue_len!r}')
        if args.queue_len % (args.n_rs + args.n_nat) or args.queue_len < 1:
            p.error(f'--queue-len {args.queue_len} must be a positive '
                    f'multiple of n_rs + n_nat = {args.n_rs + args.n_nat} '
                    '(MoCo on both streams enqueues that many keys per step)')
    return args


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------
def _link_tree(src_root: str, samples, classes, dst_root: str) -> str:
    """``dst_root/<class>/<file>`` symlinks to the given samples."""
    for rel, label in samples:
        dst = osp.join(dst_root, classes[label], osp.relpath(
            rel, classes[label]))
        os.makedirs(osp.dirname(dst), exist_ok=True)
        if not osp.lexists(dst):
            os.symlink(osp.abspath(osp.join(src_root, rel)), dst)
    return dst_root


def split_rs(eval_root: str, ratio: float, out_dir: str) -> tuple:
    """Per-class deterministic split of a labeled tree into a pre-training
    part and a held-out part (symlink trees); returns their roots."""
    from mmgersp.datasets.class_folders import (deterministic_split,
                                                scan_class_folders)
    classes, samples = scan_class_folders(eval_root)
    rs, held_out = deterministic_split(samples, ratio, seed=0)
    return (_link_tree(eval_root, rs, classes, osp.join(out_dir, 'rs')),
            _link_tree(eval_root, held_out, classes,
                       osp.join(out_dir, 'held_out')))


def count_images(root: str) -> int:
    from mmgersp.datasets.class_folders import IMG_EXTENSIONS
    return sum(f.lower().endswith(IMG_EXTENSIONS)
               for _, _, files in os.walk(root, followlinks=True)
               for f in files)


def auto_queue_len(num_rs: int, keys_per_step: int) -> int:
    """Largest multiple of ``keys_per_step`` not above ``num_rs / 2``.

    A queue longer than the RS set (one epoch of keys) holds keys of the
    query's own image as negatives; half the set keeps well clear of that.
    """
    return max(keys_per_step, (num_rs // 2) // keys_per_step * keys_per_step)


# ----------------------------------------------------------------------
# configs: the paper recipe of each variant, shrunk the same way
# ----------------------------------------------------------------------
def _walk(node):
    """Every dict inside a config value (lists and dicts, recursively)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _walk(value)


def build_variant_cfg(config: str, args: argparse.Namespace, seed: int,
                      work_dir: str):
    """A pre-training config with the comparison's common overrides.

    ``args`` needs the fields of :func:`parse_args` that set the recipe
    (depth, img_size, n_rs, n_nat, queue_len, temperature, momentum, lr,
    iters, workers, rs_root, natural_root, cfg_options).
    """
    from mmengine.config import Config
    from mmgersp.utils import set_data_roots

    cfg = Config.fromfile(config)
    model, loader = cfg.model, cfg.train_dataloader
    width = 512 if args.depth < 50 else 2048

    # model: depth, widths, queue, temperature, teacher momentum
    model.backbone.depth = args.depth
    if model.get('neck', {}).get('type') == 'MoCoV2Neck':
        model.neck.update(in_channels=width, hid_channels=width)
    classifier = model.get('cls_head') or (
        model.head if model.type == 'ImageClassifier' else None)
    if classifier is not None:
        classifier.in_channels = width
    if 'queue_len' in model:
        model.queue_len = args.queue_len
    if args.temperature is not None and 'temperature' in model.get(
            'head', {}):
        model.head.temperature = args.temperature
    if model.type == 'GeRSP':
        # the projector follows the student by EMA, as in MoCo v2
        model.teacher_projector = 'ema'
        for hook in cfg.custom_hooks:
            if hook.type == 'GeRSPEMAHook':
                hook.update(momentum=args.momentum, end_momentum=None)
    elif model.type == 'MoCo':
        model.momentum = 1.0 - args.momentum  # mmengine's EMA convention

    # data: roots, images per step, crop size, workers
    kind = loader.dataset.type
    set_data_roots(cfg, None if kind not in ('DualStreamDataset',
                                             'RSImageFolder') else args.rs_root,
                   None if kind == 'RSImageFolder' else args.natural_root)
    if kind == 'DualStreamDataset':
        loader.sampler.update(n_rs=args.n_rs, n_nat=args.n_nat)
        loader.batch_size = args.n_rs + args.n_nat
    else:
        loader.batch_size = args.n_rs if kind == 'RSImageFolder' else \
            args.n_nat
    for node in _walk(loader):
        if str(node.get('type', '')).endswith('RandomResizedCrop'):
            node['scale'] = args.img_size
    loader.update(num_workers=args.workers,
                  persistent_workers=args.workers > 0, pin_memory=False)

    # schedule: the same iteration-based cosine schedule for everyone
    cfg.optim_wrapper.optimizer.lr = args.lr
    cfg.param_scheduler = [
        dict(type='CosineAnnealingLR', eta_min=0.001, by_epoch=False,
             begin=0, end=args.iters)
    ]
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters)
    cfg.default_hooks.checkpoint.update(
        interval=args.iters, by_epoch=False, max_keep_ckpts=1)
    cfg.default_hooks.logger = dict(type='LoggerHook',
                                    interval=max(args.iters // 5, 1))
    cfg.log_processor = dict(window_size=1, by_epoch=False)
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=seed, diff_rank_seed=False)
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.work_dir = work_dir
    # unique: mmengine keys its logger and message hub by this name
    cfg.experiment_name = (f'{osp.splitext(osp.basename(config))[0]}_seed'
                           f'{seed}_{uuid.uuid4().hex[:8]}')
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


class LossRecorder:
    """Records every loss term per iteration; prints progress now and then.

    ``rename`` maps the model's names to the comparison's (MoCo v2 and the
    classifier both call their single term ``loss``).
    """

    def __init__(self, label: str, every: int,
                 rename: Optional[Dict[str, str]] = None) -> None:
        self.label, self.every = label, every
        self.rename = rename or {}
        self.curves: Dict[str, List[float]] = {}
        self.start = time.perf_counter()

    def hook(self):
        from mmengine.hooks import Hook
        recorder = self

        class _Hook(Hook):
            priority = 'LOWEST'

            def after_train_iter(self, runner, batch_idx, data_batch=None,
                                 outputs=None):
                for key, value in (outputs or {}).items():
                    if key.startswith(('loss', 'acc')):
                        key = recorder.rename.get(key, key)
                        recorder.curves.setdefault(key, []).append(
                            float(getattr(value, 'detach', lambda: value)()))
                it = runner.iter + 1
                if it % recorder.every == 0 or it == runner.max_iters:
                    terms = '  '.join(f'{k} {v[-1]:.3f}'
                                      for k, v in recorder.curves.items()
                                      if k.startswith('loss'))
                    print(f'    {recorder.label}: iter {it}/'
                          f'{runner.max_iters}  {terms}  '
                          f'({time.perf_counter() - recorder.start:.0f} s)',
                          flush=True)

        return _Hook()


def pretrain(variant: str, args: argparse.Namespace, seed: int,
             cell_dir: str) -> dict:
    """Train one variant; export its student backbone; return its record."""
    from mmengine.runner import Runner
    from mmgersp.apis.export import export_backbone

    cfg = build_variant_cfg(osp.join(CONFIG_DIR, VARIANTS[variant]), args,
                            seed, cell_dir)
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder(f'{variant} seed {seed}',
                            every=max(args.iters // 5, 1),
                            rename=LOSS_NAMES.get(variant))
    runner.register_hook(recorder.hook())
    runner.train()
    ckpt = osp.join(cell_dir, f'iter_{args.iters}.pth')
    backbone = export_backbone(
        ckpt, osp.join(cell_dir, 'backbone.pth'),
        meta=dict(config=VARIANTS[variant], variant=variant, seed=seed))
    os.remove(ckpt)  # the exported backbone is what the comparison needs
    return dict(backbone=backbone, curves=recorder.curves,
                device=str(next(runner.model.parameters()).device))


def run_cell(variant: str, seed: int, args: argparse.Namespace,
             eval_data) -> dict:
    import torch
    from mmgersp.evaluation import evaluate_backbone, load_backbone

    cell_dir = osp.join(args.work_dir, 'cells', f'{variant}_seed{seed}')
    os.makedirs(cell_dir, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    record = dict(variant=variant, seed=seed)
    if variant == 'random':
        backbone, _ = load_backbone('random', depth=args.depth, seed=seed)
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    else:
        trained = pretrain(variant, args, seed, cell_dir)
        backbone, _ = load_backbone(trained['backbone'])
        device = trained['device']
        record.update(backbone=trained['backbone'], curves=trained['curves'])
    record['pretrain_seconds'] = time.perf_counter() - wall
    record['pretrain_cpu_seconds'] = time.process_time() - cpu
    backbone.to(device)
    scores = evaluate_backbone(backbone, eval_data, k=args.k,
                               device=torch.device(device))
    record.update(knn_top1=scores['knn_top1'],
                  linear_top1=scores['linear_top1'], device=device,
                  eval_seconds=scores['seconds'])
    return record


# ----------------------------------------------------------------------
# summary: table and chart
# ----------------------------------------------------------------------
def summarise(records: List[dict], variants: Sequence[str]) -> List[dict]:
    """Mean and sample std (ddof=1) of each score per variant."""
    rows = []
    for variant in variants:
        cell = [r for r in records if r['variant'] == variant]
        if not cell:
            continue
        row = dict(variant=variant, label=LABELS[variant], n=len(cell),
                   seeds=[r['seed'] for r in cell])
        for metric in ('knn_top1', 'linear_top1'):
            values = [r[metric] for r in cell]
            row[metric] = dict(
                mean=statistics.fmean(values),
                std=statistics.stdev(values) if len(values) > 1 else 0.0,
                values=values)
        rows.append(row)
    return rows


def format_table(rows: List[dict]) -> str:
    lines = ['| pre-training | seeds | kNN top-1 (%) | linear probe top-1 '
             '(%) |', '|---|---|---|---|']
    for row in rows:
        cells = [f'{row[m]["mean"]:.2f} +- {row[m]["std"]:.2f}'
                 for m in ('knn_top1', 'linear_top1')]
        lines.append(f'| {row["label"]} | {row["n"]} | {cells[0]} | '
                     f'{cells[1]} |')
    return '\n'.join(lines)


def plot(rows: List[dict], path: str, title: str) -> str:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(rows) + 2), 4))
    width = 0.38
    for j, (metric, name) in enumerate((('knn_top1', 'kNN'),
                                        ('linear_top1', 'linear probe'))):
        xs = [i + (j - 0.5) * width for i in range(len(rows))]
        ax.bar(xs, [r[metric]['mean'] for r in rows], width,
               yerr=[r[metric]['std'] for r in rows], capsize=3, label=name)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r['label'].replace(', ', ',\n') for r in rows],
                       fontsize=8)
    ax.set_ylabel('top-1 on held-out RS images (%)')
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def check_settings(path: str, settings: dict) -> None:
    """Refuse to mix cells made with other settings into one table."""
    if osp.isfile(path):
        with open(path) as f:
            old = json.load(f)
        changed = {k: (old.get(k), v) for k, v in settings.items()
                   if old.get(k) != v}
        if changed:
            raise SystemExit(
                f'{path} records a comparison with other settings '
                f'(old, new): {changed}; use another --work-dir, or delete '
                'it to start over')
    with open(path, 'w') as f:
        json.dump(settings, f, indent=2)


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    args = parse_args(argv)
    import mmgersp  # noqa: F401
    from mmpretrain.utils import register_all_modules

    from mmgersp.evaluation import FeatureEvalData
    register_all_modules(init_default_scope=True)

    os.makedirs(args.work_dir, exist_ok=True)
    if args.rs_split is not None:
        args.rs_root, args.eval_root = split_rs(
            args.eval_root, args.rs_split, osp.join(args.work_dir, 'data'))
    num_rs = count_images(args.rs_root)
    if num_rs == 0:
        raise SystemExit(f'--rs-root {args.rs_root!r} holds no images')
    if args.queue_len == 'auto':
        args.queue_len = auto_queue_len(num_rs, args.n_rs + args.n_nat)
    settings = {k: getattr(args, k) for k in SETTINGS}
    for key in ('rs_root', 'natural_root', 'eval_root'):
        settings[key] = osp.abspath(settings[key])
    settings = json.loads(json.dumps(settings))  # as stored (tuples: lists)
    check_settings(osp.join(args.work_dir, 'settings.json'), settings)

    eval_data = FeatureEvalData(args.eval_root, args.img_size,
                                args.eval_train_ratio, seed=0)
    print(f'pre-training on {num_rs} RS images ({args.rs_root}) and '
          f'{args.natural_root}; evaluating on {args.eval_root}: '
          f'{eval_data.num_classes} classes, {len(eval_data.train)} memory / '
          f'{len(eval_data.test)} test images; ResNet-{args.depth}, '
          f'{args.img_size} px, {args.iters} iterations, queue '
          f'{args.queue_len}', flush=True)

    cells = [(v, s) for s in args.seeds for v in args.variants]
    records = []
    for i, (variant, seed) in enumerate(cells, 1):
        path = osp.join(args.work_dir, 'cells', f'{variant}_seed{seed}.json')
        if osp.isfile(path):
            with open(path) as f:
                records.append(json.load(f))
            print(f'[{i}/{len(cells)}] {variant} seed {seed}: done before '
                  f'({path})', flush=True)
            continue
        print(f'[{i}/{len(cells)}] {variant} seed {seed}: '
              + ('evaluating' if variant == 'random' else
                 f'pre-training {args.iters} iterations'), flush=True)
        record = run_cell(variant, seed, args, eval_data)
        with open(path + '.tmp', 'w') as f:
            json.dump(record, f, indent=1)
        os.replace(path + '.tmp', path)  # a cell is done only when whole
        print(f'[{i}/{len(cells)}] {variant} seed {seed}: kNN '
              f'{record["knn_top1"]:.2f}  linear {record["linear_top1"]:.2f}'
              f'  ({record["pretrain_seconds"]:.0f} s)', flush=True)
        records.append(record)

    rows = summarise(records, args.variants)
    table = format_table(rows)
    title = (f'ResNet-{args.depth}, {args.img_size} px, {args.iters} iters, '
             f'seeds {args.seeds}')
    print(f'\n{title}\n{table}')
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(f'{title}\n\n{table}\n')
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(dict(settings=settings, rows=rows), f, indent=2)
    png = plot(rows, osp.join(args.work_dir, 'comparison.png'), title)
    print(f'chart: {png}')
    return rows


if __name__ == '__main__':
    main()
