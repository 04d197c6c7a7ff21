"""Run a downstream config with several seeds; report mean +- std.

    python tools/analysis_tools/multi_seed.py CONFIG --seeds 0 1 2
        [--work-dir DIR] [--metric accuracy/top1] [--deterministic]
        [--rerun] [--cfg-options key=value ...]

The GeRSP paper reports scene classification as mean +- std over runs. Each
seed trains in its own process (fresh registries, RNGs and CUDA state) and
its own work dir ``DIR/seed_<s>``, with ``randomness.seed=<s>``; the data
split stays fixed (it lives in the config's annotation files). After
training the final model is tested (``test_dataloader``) or, without one,
validated once more; those metrics go to ``DIR/seed_<s>/final_metrics.json``
and a finished seed is not re-run unless ``--rerun`` (so an interrupted
sweep resumes). The summary, with the sample standard deviation (ddof=1),
is printed and written to ``DIR/multi_seed.json``.
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

METRICS_FILE = 'final_metrics.json'


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='downstream train config')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', help='default: ./work_dirs/'
                        '<config name>_multi_seed')
    parser.add_argument('--metric', help='metric to summarise (default: '
                        'accuracy/top1 if present, else every metric)')
    parser.add_argument('--deterministic', action='store_true',
                        help='randomness.deterministic=True (slower)')
    parser.add_argument('--rerun', action='store_true',
                        help='re-run seeds that already have results')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides applied to every seed')
    parser.add_argument('--run-one', type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_one(config: str, seed: int, work_dir: str,
            deterministic: bool) -> dict:
    """Train and evaluate one seed in this process; returns its metrics."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed,
                          deterministic=deterministic)
    runner = Runner.from_cfg(cfg)
    runner.train()
    if runner.test_loop is not None and cfg.get('test_dataloader'):
        metrics, split = runner.test(), 'test'
    elif cfg.get('val_dataloader'):
        metrics, split = runner.val(), 'val'
    else:
        raise SystemExit(f'{config} has neither test_dataloader nor '
                         'val_dataloader: nothing to report')
    result = dict(seed=seed, split=split,
                  metrics={k: float(v) for k, v in metrics.items()
                           if isinstance(v, (int, float))})
    with open(osp.join(work_dir, METRICS_FILE), 'w') as f:
        json.dump(result, f, indent=2)
    return result


def summarise(results: List[dict], metric: Optional[str] = None) -> Dict:
    """Mean, sample std (ddof=1), min, max of each metric over seeds."""
    names = [metric] if metric else sorted(
        set.intersection(*(set(r['metrics']) for r in results)))
    if metric is None and 'accuracy/top1' in names:
        names = ['accuracy/top1']
    summary = {}
    for name in names:
        missing = [r['seed'] for r in results if name not in r['metrics']]
        if missing:
            raise SystemExit(f'metric {name!r} missing for seeds {missing}; '
                             f'have {sorted(results[0]["metrics"])}')
        values = [r['metrics'][name] for r in results]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean)**2 for v in values) /
                        (len(values) - 1)) if len(values) > 1 else 0.0
        summary[name] = dict(mean=mean, std=std, min=min(values),
                             max=max(values), n=len(values),
                             values=dict(zip([r['seed'] for r in results],
                                             values)))
    return summary


def main(argv=None) -> dict:
    args = parse_args(argv)
    work_root = args.work_dir or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(args.config))[0] + '_multi_seed')
    if args.run_one is not None:
        return run_one(args.config, args.run_one,
                       osp.join(work_root, f'seed_{args.run_one}'),
                       args.deterministic)

    # every seed runs the same merged config, kept next to the results
    from mmengine.config import Config
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    os.makedirs(work_root, exist_ok=True)
    merged = osp.join(work_root, 'config.py')
    cfg.dump(merged)

    results = []
    for seed in args.seeds:
        seed_dir = osp.join(work_root, f'seed_{seed}')
        done = osp.join(seed_dir, METRICS_FILE)
        if not osp.isfile(done) or args.rerun:
            print(f'--- seed {seed}: training in {seed_dir}', flush=True)
            cmd = [sys.executable, osp.abspath(__file__), merged,
                   '--run-one', str(seed), '--work-dir', work_root]
            if args.deterministic:
                cmd.append('--deterministic')
            proc = subprocess.run(cmd, env=dict(os.environ))
            if proc.returncode != 0:
                raise SystemExit(f'seed {seed} failed (exit code '
                                 f'{proc.returncode}); see {seed_dir}')
        else:
            print(f'--- seed {seed}: reusing {done}')
        with open(done) as f:
            results.append(json.load(f))

    summary = summarise(results, args.metric)
    report = dict(config=args.config, seeds=args.seeds,
                  split=results[0]['split'], summary=summary,
                  runs=results)
    with open(osp.join(work_root, 'multi_seed.json'), 'w') as f:
        json.dump(report, f, indent=2)
    for name, s in summary.items():
        per_seed = ', '.join(f'{seed}: {v:.2f}'
                             for seed, v in s['values'].items())
        print(f'{name} ({report["split"]}, {s["n"]} seeds): '
              f'{s["mean"]:.2f} +- {s["std"]:.2f}  [{per_seed}]')
    return report


if __name__ == '__main__':
    main()
