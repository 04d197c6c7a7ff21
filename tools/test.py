"""Evaluate a config + checkpoint with mmengine's Runner (any OpenMMLab lib).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options ...]
    tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


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
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    from mmgersp.utils import setup_cpu_distributed
    setup_cpu_distributed(cfg)
    metrics = Runner.from_cfg(cfg).test()
    print(metrics)


if __name__ == '__main__':
    main()
