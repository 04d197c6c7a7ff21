"""Evaluate a config + checkpoint with mmengine's Runner (any OpenMMLab lib).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
    tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def main() -> None:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))

    import mmgersp  # noqa: F401
    from mmgersp.utils import (check_cfg_options, exit_on_error,
                               require_checkpoint, scope_checkpoint_loads,
                               setup_cpu_distributed)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        try:
            check_cfg_options(cfg, args.cfg_options)
        except ValueError as e:
            raise SystemExit(f'error: {e}') from e
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    if '://' not in args.checkpoint:
        exit_on_error(require_checkpoint)(args.checkpoint, 'load')
    cfg.load_from = args.checkpoint
    setup_cpu_distributed(cfg)
    # mmengine's load runs inside the scoped allow-list
    runner = scope_checkpoint_loads(Runner.from_cfg(cfg))
    metrics = exit_on_error(runner.test)()
    print(metrics)


if __name__ == '__main__':
    main()
