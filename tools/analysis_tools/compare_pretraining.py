"""GeRSP against the paper's baselines on frozen features: train, score, test.

    python tools/analysis_tools/compare_pretraining.py --work-dir DIR \\
        [--eval-root LABELED_RS_TREE] [--natural-root NAT_TREE]
        [--rs-root RS_FOLDER] [--quick]
        [--variants gersp moco-maid moco-in-maid supervised random]
        [--seeds 0 1 2 3 4] [--iters N] [--arch resnet18] [--img-size 64]
        [--n-rs 16] [--n-nat 16] [--queue-len auto] [--lr 0.03]
        [--momentum 0.99] [--workers 1] [--jobs 2]
        [--cfg-options key=value ...]

Protocol (``docs/pretraining_comparison.md``). Data, by default
``../shared/data``: ``aid_pool`` (8,200 AID images, 30 classes) is split
once per class, by a hash of each path, into a pre-training part (labels
dropped; ``1 - --eval-share`` of every class) and a disjoint evaluation
part, itself split into probe-training and probe-test images
(``--eval-train-ratio``); ``cifar10_pool/train`` is the natural stream.
``DIR/data/split.txt`` lists every image of ``--eval-root`` with its part.
``--rs-root`` pre-trains on another folder instead and evaluates on all of
``--eval-root``.

Each variant is built by mmengine's ``Runner`` from its pre-training config
in ``configs/gersp/`` (the paper-scale recipe) with the *same* overrides,
each made by :mod:`mmgersp.apis.recipe`: backbone (``--arch``), crop size,
RS/natural images per step, schedule length; plus queue length, teacher
momentum (GeRSP's projector follows by EMA, as MoCo v2's does), lr of an
iteration-based cosine schedule, seed and data roots. So the variants
differ only in what their configs say the method is:

============  ===================================================  ========
variant       config (configs/gersp/)                              data
============  ===================================================  ========
gersp         gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py   RS + nat
moco-maid     mocov2_resnet50_8xb32-coslr-100e_millionaid.py       RS
moco-in-maid  mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py  RS + nat,
                                                                   no labels
supervised    supervised_resnet50_8xb32-coslr-100e_in1k.py         nat
random        no pre-training (the arch's own initialisation)
============  ===================================================  ========

Every backbone is exported (``export_backbone``, as a user would) and its
frozen features of the evaluation part are scored by weighted kNN and by a
logistic-regression probe whose L2 strength is chosen by stratified 5-fold
cross-validation on the probe-training images only
(``mmgersp.evaluation.feature_eval``), each top-1 with a 95% percentile
bootstrap interval over the test images. Across seeds (a seed fixes the
initialisation, data order and augmentation of every variant) each variant
minus random init and GeRSP minus each baseline are paired by seed, with a
95% Student t-interval over seeds (``mmgersp.evaluation.stats``). Each
(variant, seed) cell writes ``DIR/cells/<variant>_seed<s>.json`` and is
skipped when that file exists, so an interrupted comparison resumes where
it stopped; a work dir made with other settings is refused. ``--jobs N``
runs N cells at once, each in its own process (``python`` of this script
for one cell, its log in ``DIR/cells/<cell>.log``): every cell is seeded on
its own, so the numbers do not depend on N. One progress line per finished
cell gives the elapsed and the estimated remaining time.
Results: ``DIR/table.md``, ``DIR/summary.json``, ``DIR/comparison.png``.
Runs on whatever device mmengine picks (``CUDA_VISIBLE_DEVICES=`` forces
the CPU).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import time
import uuid
from typing import Dict, Iterator, List, Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO, 'configs', 'gersp')
SHARED_DATA = osp.join(REPO, '..', 'shared', 'data')
DEFAULT_EVAL_ROOT = osp.join(SHARED_DATA, 'aid_pool')
DEFAULT_NATURAL_ROOT = osp.join(SHARED_DATA, 'cifar10_pool', 'train')

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
BASELINES = ('moco-maid', 'moco-in-maid', 'supervised')
# The loss terms under one name across variants (curves in the cell JSON).
LOSS_NAMES = {
    'moco-maid': dict(loss='loss_contrast'),
    'moco-in-maid': dict(loss='loss_contrast'),
    'supervised': dict(loss='loss_cls'),
}
# the protocol's run length: the default and --quick (seeds, iterations)
# (the sweep in docs/pretraining_comparison.md chose 1000 iterations at lr
# 0.03: the shortest pilot schedule where every pre-training beat random
# init on one seed; 300 iterations did not)
DEFAULT_SEEDS, DEFAULT_ITERS, DEFAULT_LR = [0, 1, 2, 3, 4], 1000, 0.03
QUICK_SEEDS, QUICK_ITERS = [0], 60
DEFAULT_JOBS = 2  # the 2-core machine the default's run time is measured on
MIN_SEEDS = 5  # fewer cannot rank methods (GEO-Bench's count)
QUICK_NOTE = ('--quick: one seed and a short schedule, a smoke run of the '
              'protocol; it cannot rank methods')
# Settings that change the numbers: a work dir holding cells made with
# other values is refused instead of mixed into one table.
SETTINGS = ('iters', 'arch', 'img_size', 'n_rs', 'n_nat', 'queue_len',
            'lr', 'momentum', 'temperature', 'rs_root', 'natural_root',
            'eval_root', 'eval_share', 'eval_train_ratio', 'k', 'folds',
            'bootstrap', 'cfg_options')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    from mmengine.config import DictAction
    from mmgersp.apis.recipe import ARCHS
    p = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--work-dir', required=True)
    p.add_argument('--eval-root', default=DEFAULT_EVAL_ROOT,
                   help='labeled RS images, <root>/<class>/<image>; without '
                   '--rs-root a share of each class is pre-trained on')
    p.add_argument('--natural-root', default=DEFAULT_NATURAL_ROOT,
                   help='labeled natural images, <root>/<class>/<image>')
    p.add_argument('--rs-root', default=None,
                   help='folder of RS images to pre-train on (any depth, '
                   'labels unused) instead of a part of --eval-root; then '
                   'all of --eval-root is evaluated')
    p.add_argument('--eval-share', type=float, default=0.45,
                   help='without --rs-root: share of each class of '
                   '--eval-root held out for evaluation (the rest is '
                   'pre-trained on, labels dropped)')
    p.add_argument('--eval-train-ratio', type=float, default=0.5,
                   help='share of each class of the evaluation part used '
                   'as kNN memory / probe training set')
    p.add_argument('--quick', action='store_true',
                   help=f'seeds {QUICK_SEEDS} and {QUICK_ITERS} iterations '
                   'unless given: checks the pipeline, cannot rank methods')
    p.add_argument('--variants', nargs='+', choices=list(VARIANTS),
                   default=list(VARIANTS))
    p.add_argument('--seeds', type=int, nargs='+', default=None,
                   help=f'default {DEFAULT_SEEDS} ({QUICK_SEEDS} with '
                   '--quick)')
    p.add_argument('--iters', type=int, default=None,
                   help=f'pre-training iterations per cell; default '
                   f'{DEFAULT_ITERS} ({QUICK_ITERS} with --quick)')
    p.add_argument('--arch', default='resnet18', choices=sorted(ARCHS),
                   help='backbone of every variant and of random init')
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
    p.add_argument('--lr', type=float, default=DEFAULT_LR,
                   help='SGD lr, cosine-annealed to 0 over --iters')
    p.add_argument('--momentum', type=float, default=0.99,
                   help='teacher EMA momentum (GeRSP and MoCo alike)')
    p.add_argument('--temperature', type=float, default=None,
                   help='InfoNCE temperature (default: the configs\', 0.07)')
    p.add_argument('--workers', type=int, default=1,
                   help='dataloader workers per pre-training run')
    p.add_argument('--jobs', type=int, default=DEFAULT_JOBS,
                   help='cells run at once, each in its own process (set '
                   'OMP_NUM_THREADS so that jobs x threads fits the cores); '
                   'numbers do not depend on it')
    p.add_argument('--one-cell', nargs=2, metavar=('VARIANT', 'SEED'),
                   help=argparse.SUPPRESS)  # what a --jobs process runs
    p.add_argument('--k', type=int, default=20, help='kNN neighbours')
    p.add_argument('--folds', type=int, default=5,
                   help='stratified folds choosing the probe\'s L2 strength')
    p.add_argument('--bootstrap', type=int, default=1000,
                   help='bootstrap resamples of the test images per cell')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   default=None, metavar='KEY=VALUE',
                   help='overrides applied to every pre-training config')
    args = p.parse_args(argv)
    if args.seeds is None:
        args.seeds = QUICK_SEEDS if args.quick else DEFAULT_SEEDS
    if args.iters is None:
        args.iters = QUICK_ITERS if args.quick else DEFAULT_ITERS
    for flag in ('eval_share', 'eval_train_ratio'):
        if not 0 < getattr(args, flag) < 1:
            p.error(f'--{flag.replace("_", "-")} must be in (0, 1), got '
                    f'{getattr(args, flag)}')
    if min(args.iters, args.n_rs, args.n_nat, args.img_size, args.folds,
           args.bootstrap, args.jobs) < 1:
        p.error('--iters, --n-rs, --n-nat, --img-size, --folds, '
                '--bootstrap and --jobs must be >= 1')
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


def split_pool(eval_root: str, eval_share: float, out_dir: str) -> tuple:
    """Per-class, path-hashed split of a labeled tree into a pre-training
    part and a disjoint evaluation part (symlink trees); returns their
    roots."""
    from mmgersp.datasets.class_folders import (deterministic_split,
                                                scan_class_folders)
    classes, samples = scan_class_folders(eval_root)
    rs, held_out = deterministic_split(samples, 1 - eval_share, seed=0)
    return (_link_tree(eval_root, rs, classes, osp.join(out_dir, 'rs')),
            _link_tree(eval_root, held_out, classes,
                       osp.join(out_dir, 'held_out')))


def write_split_file(path: str, eval_root: str, eval_data,
                     rs_root: Optional[str]) -> Dict[str, int]:
    """``relpath part`` for every image of ``eval_root``; part is one of
    ``pretrain`` / ``probe_train`` / ``probe_test`` / ``unused``; returns
    the count of each part."""
    from mmgersp.datasets.class_folders import scan_class_folders
    parts = {rel: 'probe_train' for rel, _ in eval_data.train_samples}
    parts.update({rel: 'probe_test' for rel, _ in eval_data.test_samples})
    pretrain = set()
    if rs_root is not None and osp.isdir(rs_root) and not osp.samefile(
            rs_root, eval_root):
        pretrain = {osp.relpath(osp.join(d, f), rs_root)
                    for d, _, files in os.walk(rs_root, followlinks=True)
                    for f in files}
    _, samples = scan_class_folders(eval_root)
    lines, counts = [], {}
    for rel, _ in samples:
        part = parts.get(rel, 'pretrain' if rel in pretrain else 'unused')
        counts[part] = counts.get(part, 0) + 1
        lines.append(f'{rel} {part}\n')
    with open(path, 'w') as f:
        f.writelines(lines)
    return counts


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
def build_variant_cfg(config: str, args: argparse.Namespace, seed: int,
                      work_dir: str):
    """A pre-training config with the comparison's common overrides.

    ``args`` needs the fields of :func:`parse_args` that set the recipe
    (arch, img_size, n_rs, n_nat, queue_len, temperature, momentum, lr,
    iters, workers, rs_root, natural_root, cfg_options). Backbone, heads,
    crop, batch composition and schedule length go through
    :mod:`mmgersp.apis.recipe`, the one definition of each edit.
    """
    from mmengine.config import Config
    from mmgersp.apis.recipe import (set_backbone, set_batch_composition,
                                     set_crop_size, set_max_iters)
    from mmgersp.utils import set_data_roots

    cfg = Config.fromfile(config)
    model, loader = cfg.model, cfg.train_dataloader

    # model: backbone (heads follow), queue, temperature, teacher momentum
    set_backbone(model, args.arch)
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
    has_rs = kind in ('DualStreamDataset', 'RSImageFolder')
    set_data_roots(cfg, args.rs_root if has_rs else None,
                   None if kind == 'RSImageFolder' else args.natural_root)
    set_batch_composition(loader, args.n_rs, args.n_nat)
    set_crop_size(loader, args.img_size)
    loader.update(num_workers=args.workers,
                  persistent_workers=args.workers > 0, pin_memory=False)

    # schedule: the same iteration-based cosine schedule for everyone
    cfg.optim_wrapper.optimizer.lr = args.lr
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters)
    cfg.param_scheduler = [
        dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False,
             begin=0, end=args.iters)
    ]
    cfg.default_hooks.checkpoint.update(
        interval=args.iters, by_epoch=False, max_keep_ckpts=1)
    set_max_iters(cfg, args.iters)
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


def eval_backbone_cfg(arch: str) -> dict:
    """The backbone every cell is scored with (random init: built from it;
    exported backbones: loaded into it)."""
    from mmgersp.apis.recipe import ARCHS
    return dict(ARCHS[arch])


def run_cell(variant: str, seed: int, args: argparse.Namespace,
             eval_data) -> dict:
    """Pre-train (or initialise) and score one (variant, seed) cell."""
    import torch
    from mmgersp.evaluation import load_backbone
    from mmgersp.evaluation.feature_eval import evaluate_backbone

    cell_dir = osp.join(args.work_dir, 'cells', f'{variant}_seed{seed}')
    os.makedirs(cell_dir, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    record = dict(variant=variant, seed=seed)
    backbone_cfg = eval_backbone_cfg(args.arch)
    if variant == 'random':
        backbone, _ = load_backbone('random', backbone_cfg=backbone_cfg,
                                    seed=seed)
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    else:
        trained = pretrain(variant, args, seed, cell_dir)
        # built from the file's meta['backbone_cfg']: MoCo v2 trains the
        # last stage's outputs only (recipe.set_backbone), same features
        backbone, _ = load_backbone(trained['backbone'])
        device = trained['device']
        record.update(backbone=trained['backbone'], curves=trained['curves'])
    record['pretrain_seconds'] = time.perf_counter() - wall
    record['pretrain_cpu_seconds'] = time.process_time() - cpu
    backbone.to(device)
    eval_wall, eval_cpu = time.perf_counter(), time.process_time()
    scores = evaluate_backbone(backbone, eval_data, k=args.k,
                               device=torch.device(device),
                               linear_probe='cv', bootstrap=args.bootstrap,
                               seed=0)
    record.update(
        {k: scores[k] for k in ('knn_top1', 'knn_ci', 'linear_top1',
                                'linear_ci', 'linear_C', 'linear_cv_top1',
                                'num_train', 'num_test', 'feat_dim')},
        device=device, eval_seconds=time.perf_counter() - eval_wall,
        eval_cpu_seconds=time.process_time() - eval_cpu,
        knn_correct=''.join(map(str, scores['knn_correct'])),
        linear_correct=''.join(map(str, scores['linear_correct'])))
    record['total_seconds'] = time.perf_counter() - wall
    record['total_cpu_seconds'] = time.process_time() - cpu
    return record


# ----------------------------------------------------------------------
# summary: paired differences, table and chart
# ----------------------------------------------------------------------
METRICS = (('knn_top1', 'kNN'), ('linear_top1', 'CV-logistic'))


def summarise(records: List[dict], variants: Sequence[str]) -> List[dict]:
    """Mean and sample std (ddof=1; None for one seed) of each score per
    variant, with each seed's value and bootstrap interval."""
    rows = []
    for variant in variants:
        cell = sorted((r for r in records if r['variant'] == variant),
                      key=lambda r: r['seed'])
        if not cell:
            continue
        row = dict(variant=variant, label=LABELS[variant], n=len(cell),
                   seeds=[r['seed'] for r in cell])
        for metric, _ in METRICS:
            values = [r[metric] for r in cell]
            row[metric] = dict(
                mean=statistics.fmean(values),
                std=statistics.stdev(values) if len(values) > 1 else None,
                values=values,
                cis=[r[metric.replace('top1', 'ci')] for r in cell])
        rows.append(row)
    return rows


def compare(records: List[dict], variants: Sequence[str]) -> List[dict]:
    """Paired differences by seed: every variant minus random init, then
    GeRSP minus each baseline; mean and 95% t-interval over seeds."""
    from mmgersp.evaluation.stats import paired_differences
    by = {v: {r['seed']: r for r in records if r['variant'] == v}
          for v in variants}
    pairs = [(v, 'random') for v in variants if v != 'random']
    pairs += [('gersp', b) for b in BASELINES]
    out = []
    for a, b in pairs:
        if not by.get(a) or not by.get(b) or not set(by[a]) & set(by[b]):
            continue
        entry = dict(a=a, b=b, label=f'{LABELS[a]} minus {LABELS[b]}')
        for metric, _ in METRICS:
            entry[metric] = paired_differences(
                {s: r[metric] for s, r in by[a].items()},
                {s: r[metric] for s, r in by[b].items()})
        out.append(entry)
    return out


def verdict(rows: List[dict], diffs: List[dict], quick: bool) -> List[str]:
    """What the table may be used for, in plain words (printed first)."""
    from mmgersp.evaluation.stats import interval_above_zero
    lines = [QUICK_NOTE] if quick else []
    seeds = min((r['n'] for r in rows), default=0)
    vs_random = [d for d in diffs if d['b'] == 'random']
    pretrained = [r['variant'] for r in rows if r['variant'] != 'random']
    beats = [d['a'] for d in vs_random
             if interval_above_zero(d['linear_top1'])]
    if seeds < MIN_SEEDS:
        lines.append(f'{seeds} seed(s) per variant, fewer than {MIN_SEEDS}: '
                     'this table cannot rank methods')
    if not vs_random:
        lines.append('no random-init cells: nothing says that pre-training '
                     'helps at this setting; the table cannot rank methods')
    elif len(beats) < len(pretrained):
        lose = [LABELS[v] for v in pretrained if v not in beats]
        lines.append('not every pre-training beats random init on the '
                     'CV-logistic probe with a paired 95% CI above 0 (not: '
                     + '; '.join(lose) + '): the protocol does not separate '
                     'methods at this setting, so the table says nothing '
                     'about them')
    elif seeds >= MIN_SEEDS and not quick:
        lines.append('every pre-training beats random init on the '
                     'CV-logistic probe (paired 95% CI above 0): the '
                     'protocol separates pre-training from none at this '
                     'setting')
    return lines


def _fmt_diff(d: dict) -> str:
    if d['low'] is None:
        return f'{d["mean"]:+.2f} (one seed, no CI)'
    return f'{d["mean"]:+.2f} [{d["low"]:+.2f}, {d["high"]:+.2f}]'


def format_table(rows: List[dict], diffs: List[dict],
                 num_test: Optional[int] = None) -> str:
    """Markdown: per-variant scores, then the paired differences."""
    test = f' over {num_test} test images' if num_test else ''
    lines = ['| pre-training | seeds | kNN top-1 (%) | CV-logistic top-1 '
             f'(%) | CV-logistic per seed [95% bootstrap CI{test}] |',
             '|---|---|---|---|---|']
    for row in rows:
        cells = [f'{row[m]["mean"]:.2f}' + (
            '' if row[m]['std'] is None else f' +- {row[m]["std"]:.2f}')
                 for m, _ in METRICS]
        per_seed = '; '.join(
            f'{v:.1f} [{ci[0]:.1f}, {ci[1]:.1f}]' for v, ci in zip(
                row['linear_top1']['values'], row['linear_top1']['cis']))
        lines.append(f'| {row["label"]} | {row["n"]} | {cells[0]} | '
                     f'{cells[1]} | {per_seed} |')
    if diffs:
        lines += ['', '| paired by seed (points) | seeds | kNN: mean '
                  '[95% t-interval] | CV-logistic: mean [95% t-interval] |',
                  '|---|---|---|---|']
        for d in diffs:
            lines.append(f'| {d["label"]} | {d["linear_top1"]["n"]} | '
                         f'{_fmt_diff(d["knn_top1"])} | '
                         f'{_fmt_diff(d["linear_top1"])} |')
    return '\n'.join(lines)


def plot(rows: List[dict], path: str, title: str) -> str:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(rows) + 2), 4))
    width = 0.38
    for j, (metric, name) in enumerate(METRICS):
        xs = [i + (j - 0.5) * width for i in range(len(rows))]
        ax.bar(xs, [r[metric]['mean'] for r in rows], width,
               yerr=[r[metric]['std'] or 0.0 for r in rows], capsize=3,
               label=name)
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


def check_settings(path: str, settings: dict, write: bool = True) -> None:
    """Refuse to mix cells made with other settings into one table
    (``write=False``: check only, as the ``--jobs`` processes do)."""
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
    if write:
        with open(path, 'w') as f:
            json.dump(settings, f, indent=2)


def save_cell(work_dir: str, record: dict) -> None:
    """A cell is done only when its JSON is whole (written, then renamed)."""
    path = osp.join(work_dir, 'cells',
                    f'{record["variant"]}_seed{record["seed"]}.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(path + '.tmp', path)


def run_cells_in_processes(todo: Sequence[tuple], argv: Sequence[str],
                           args: argparse.Namespace) -> Iterator[dict]:
    """Run the cells of ``todo``, ``args.jobs`` at once, each as this script
    with ``--one-cell`` (output in ``cells/<cell>.log``); yield each record
    as its process ends. Each process gets ``cores // jobs`` threads unless
    ``OMP_NUM_THREADS`` is set. A failed cell stops the run, naming its log;
    finished cells stay, so the same command resumes."""
    import subprocess
    import sys
    cells_dir = osp.join(args.work_dir, 'cells')
    os.makedirs(cells_dir, exist_ok=True)
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS',
                   str(max(1, (os.cpu_count() or 1) // args.jobs)))
    pending, running = list(todo), {}
    try:
        while pending or running:
            while pending and len(running) < args.jobs:
                variant, seed = pending.pop(0)
                log = open(osp.join(cells_dir, f'{variant}_seed{seed}.log'),
                           'w')
                proc = subprocess.Popen(
                    [sys.executable, osp.abspath(__file__), *argv,
                     '--jobs', '1', '--one-cell', variant, str(seed)],
                    stdout=log, stderr=subprocess.STDOUT, env=env)
                running[proc] = (variant, seed, log)
            time.sleep(0.2)
            for proc in [p for p in running if p.poll() is not None]:
                variant, seed, log = running.pop(proc)
                log.close()
                if proc.returncode:
                    raise SystemExit(
                        f'cell {variant} seed {seed} failed (exit '
                        f'{proc.returncode}); see {log.name}. Finished '
                        'cells are kept: the same command resumes.')
                with open(osp.join(cells_dir,
                                   f'{variant}_seed{seed}.json')) as f:
                    yield json.load(f)
    finally:
        for proc in running:
            proc.terminate()


def remaining_seconds(records: List[dict], todo: Sequence[str]) -> \
        Optional[float]:
    """Estimated time of the cells still to run: each at the mean time of
    its variant's finished cells (else of any pre-trained cell)."""
    times: Dict[str, List[float]] = {}
    for r in records:
        if 'total_seconds' in r:
            times.setdefault(r['variant'], []).append(r['total_seconds'])
    trained = [t for v, ts in times.items() if v != 'random' for t in ts]
    total = 0.0
    for variant in todo:
        known = times.get(variant) or (trained if variant != 'random'
                                       else None)
        if not known:
            return None
        total += statistics.fmean(known)
    return total


def main(argv: Optional[Sequence[str]] = None) -> dict:
    import sys
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    import mmgersp  # noqa: F401
    from mmpretrain.utils import register_all_modules

    from mmgersp.evaluation import FeatureEvalData
    register_all_modules(init_default_scope=True)

    start = time.perf_counter()
    os.makedirs(args.work_dir, exist_ok=True)
    data_dir = osp.join(args.work_dir, 'data')
    if not osp.isdir(args.eval_root):
        raise SystemExit(f'--eval-root {args.eval_root!r} is not a folder')
    eval_tree = args.eval_root
    if args.rs_root is None:
        args.rs_root, eval_tree = split_pool(args.eval_root,
                                             args.eval_share, data_dir)
    num_rs = count_images(args.rs_root)
    if num_rs == 0:
        raise SystemExit(f'--rs-root {args.rs_root!r} holds no images')
    if args.queue_len == 'auto':
        args.queue_len = auto_queue_len(num_rs, args.n_rs + args.n_nat)
    settings = {k: getattr(args, k) for k in SETTINGS}
    for key in ('rs_root', 'natural_root', 'eval_root'):
        settings[key] = osp.abspath(settings[key])
    settings = json.loads(json.dumps(settings))  # as stored (tuples: lists)
    check_settings(osp.join(args.work_dir, 'settings.json'), settings,
                   write=not args.one_cell)

    eval_data = FeatureEvalData(eval_tree, args.img_size,
                                args.eval_train_ratio, seed=0)
    if args.one_cell:  # one cell of a --jobs run: no split file, no table
        variant, seed = args.one_cell[0], int(args.one_cell[1])
        save_cell(args.work_dir, run_cell(variant, seed, args, eval_data))
        return {}
    os.makedirs(data_dir, exist_ok=True)
    split_path = osp.join(data_dir, 'split.txt')
    counts = write_split_file(split_path, args.eval_root, eval_data,
                              args.rs_root)
    if args.quick:
        print(QUICK_NOTE, flush=True)
    print(f'pre-training on {num_rs} RS images ({args.rs_root}) and '
          f'{args.natural_root}; evaluating on {eval_tree}: '
          f'{eval_data.num_classes} classes, {len(eval_data.train)} probe '
          f'training / {len(eval_data.test)} test images (split: '
          f'{split_path}, {counts}); {args.arch}, {args.img_size} px, '
          f'{args.iters} iterations, lr {args.lr}, queue {args.queue_len}, '
          f'seeds {args.seeds}', flush=True)

    cells = [(v, s) for s in args.seeds for v in args.variants]
    records, todo = [], []
    for variant, seed in cells:
        path = osp.join(args.work_dir, 'cells', f'{variant}_seed{seed}.json')
        if osp.isfile(path):
            with open(path) as f:
                records.append(json.load(f))
        else:
            todo.append((variant, seed))
    if records:
        print(f'{len(records)} of {len(cells)} cells done before (resumed '
              f'from {osp.join(args.work_dir, "cells")})', flush=True)
    if args.jobs == 1:
        finished = (run_cell(v, s, args, eval_data) for v, s in todo)
    else:
        finished = run_cells_in_processes(todo, argv, args)
    left_todo = [v for v, _ in todo]
    for record in finished:
        variant, seed = record['variant'], record['seed']
        if args.jobs == 1:
            save_cell(args.work_dir, record)
        records.append(record)
        left_todo.remove(variant)
        left = remaining_seconds(records, left_todo)
        left = 'unknown' if left is None else \
            f'about {left / max(min(args.jobs, len(left_todo)), 1):.0f} s'
        print(f'[{len(records)}/{len(cells)}] {variant} seed {seed}: kNN '
              f'{record["knn_top1"]:.2f} {_fmt_ci(record["knn_ci"])}  '
              f'CV-logistic {record["linear_top1"]:.2f} '
              f'{_fmt_ci(record["linear_ci"])} (C {record["linear_C"]:g})  '
              f'cell {record["total_seconds"]:.0f} s, elapsed '
              f'{time.perf_counter() - start:.0f} s, left {left}',
              flush=True)

    records.sort(key=lambda r: cells.index((r['variant'], r['seed'])))
    rows = summarise(records, args.variants)
    diffs = compare(records, args.variants)
    notes = verdict(rows, diffs, args.quick)
    table = format_table(rows, diffs, len(eval_data.test))
    title = (f'{args.arch}, {args.img_size} px, {args.iters} iters, lr '
             f'{args.lr}, queue {args.queue_len}, seeds {args.seeds}')
    text = '\n'.join(['**' + n + '**' for n in notes] + ['', title, '',
                                                          table])
    print('\n' + text)
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(text + '\n')
    summary = dict(settings=settings, seeds=args.seeds, quick=args.quick,
                   split=counts, notes=notes, rows=rows, differences=diffs)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    png = plot(rows, osp.join(args.work_dir, 'comparison.png'), title)
    print(f'chart: {png}')
    return json.loads(json.dumps(summary))


def _fmt_ci(ci: Sequence[float]) -> str:
    return f'[{ci[0]:.1f}, {ci[1]:.1f}]'


if __name__ == '__main__':
    main()
