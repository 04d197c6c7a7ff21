"""Training curves from mmengine logs (``vis_data/scalars.json``).

    python tools/visualization/plot_curves.py WORK_DIR [WORK_DIR ...]
        [--keys loss_contrast loss_cls ...] [--labels A B] [--concat]
        [--smooth N] --out curves.png

Each argument is a work dir (its newest ``<timestamp>/vis_data/
scalars.json`` is read; ``--concat`` joins every launch in time order, for
runs resumed after a pre-emption) or a ``scalars.json`` file. One panel per
key; several runs are overlaid. Keys a run never logged are skipped;
``knn_top1``/``linear_top1`` come from ``FeatureEvalHook``. The x axis is
mmengine's logged ``step``: the iteration for training scalars and
FeatureEvalHook (mmengine logs validation metrics by epoch, so plot those
on their own).

Kept beside mmpretrain's ``analyze_logs.py plot_curve`` (``mim run mmpretrain
analyze_logs``), which draws every key on one axis from one launch: this one
joins resumed launches and gives each GeRSP term and FeatureEvalHook's sparse
``knn_top1``/``linear_top1`` series a panel of its own.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List

DEFAULT_KEYS = ('loss', 'loss_contrast', 'loss_cls', 'acc_contrast', 'acc_cls',
                'momentum', 'lr', 'knn_top1', 'linear_top1')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('runs', nargs='+',
                        help='work dirs or scalars.json files')
    parser.add_argument('--keys', nargs='+', default=list(DEFAULT_KEYS))
    parser.add_argument('--labels', nargs='+', help='legend names')
    parser.add_argument('--concat', action='store_true',
                        help='join all launches of a work dir (resumed runs)')
    parser.add_argument('--smooth', type=int, default=1,
                        help='moving average over N logged points')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.runs):
        parser.error('--labels needs one name per run')
    return args


def scalar_files(run: str, concat: bool = False) -> List[str]:
    """The scalars.json file(s) of a work dir, oldest first."""
    if osp.isfile(run):
        return [run]
    # mmengine writes <work_dir>/<YYYYmmdd_HHMMSS>/vis_data/scalars.json
    files = sorted(glob.glob(osp.join(run, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {run!r}')
    return files if concat else files[-1:]


def load_scalars(files: List[str]) -> Dict[str, Dict[str, list]]:
    """``{key: {'step': [...], 'value': [...]}}`` from JSON-lines logs.

    A later launch overrides the steps it repeats (a resumed run re-logs
    from its checkpoint).
    """
    series: Dict[str, Dict[int, float]] = {}
    for path in files:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                step = record.get('step', record.get('iter'))
                if step is None:
                    continue
                for key, value in record.items():
                    if key not in ('step', 'iter', 'epoch') and isinstance(
                            value, (int, float)):
                        series.setdefault(key, {})[int(step)] = float(value)
    return {
        key: dict(step=sorted(points),
                  value=[points[s] for s in sorted(points)])
        for key, points in series.items()
    }


def smooth(values: List[float], n: int) -> List[float]:
    if n <= 1:
        return values
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v - (values[i - n] if i >= n else 0.0)
        out.append(total / min(i + 1, n))
    return out


def main(argv=None) -> str:
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    runs = [load_scalars(scalar_files(r, args.concat)) for r in args.runs]
    labels = args.labels or [osp.basename(osp.normpath(r)) for r in args.runs]
    keys = [k for k in args.keys if any(k in run for run in runs)]
    missing = [k for k in args.keys if k not in keys]
    if not keys:
        raise SystemExit(f'none of {args.keys} was logged in {args.runs}')
    if missing:
        print(f'not logged, skipped: {missing}')

    cols = min(3, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows),
                             squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for run, label in zip(runs, labels):
            if key not in run:
                continue
            steps, values = run[key]['step'], run[key]['value']
            sparse = len(steps) < 0.2 * max(
                len(s['step']) for s in run.values())
            ax.plot(steps, values if sparse else smooth(values, args.smooth),
                    marker='o' if sparse or len(steps) < 30 else None,
                    markersize=3, label=label)
        ax.set_title(key)
        ax.set_xlabel('iteration')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if key == 'lr':
            ax.ticklabel_format(axis='y', style='sci', scilimits=(-3, 3))
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    if len(runs) > 1:
        axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    for run, label in zip(runs, labels):
        counts = {k: len(run[k]['step']) for k in keys if k in run}
        print(f'{label}: points per key {counts}')
    print(osp.abspath(args.out))
    return args.out


if __name__ == '__main__':
    main()
