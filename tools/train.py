"""Train a GeRSP (or any mmpretrain) config with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--rs-root DIR] [--natural-root DIR] [--init-from WEIGHTS]
        [--cfg-options k=v ...]
    tools/dist_train.sh CONFIG GPUS [args]     # torchrun, one process per GPU
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner



def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or from the newest checkpoint in the work '
        'dir that loads when no path is given (newer ones that do not load '
        'are logged and skipped)')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (AmpOptimWrapper, bf16 where '
                        'the device supports it)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size')
    parser.add_argument('--rs-root', help='folder of RS images (any depth) '
                        'for the GeRSP RS stream')
    parser.add_argument('--natural-root', help='class-folder tree for the '
                        'GeRSP natural stream')
    parser.add_argument(
        '--init-from', metavar='WEIGHTS',
        help='start the backbone (student and teacher) from a torchvision/'
        'timm ResNet file, a timm export folder or an exported GeRSP '
        'backbone, loaded strictly at iteration 0 (BackboneInitHook); a '
        'resumed run keeps what it resumed')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=10')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    import mmgersp  # noqa: F401  (registers modules, checks versions)
    from mmgersp.utils import set_data_roots
    from mmgersp.utils.config import check_cfg_options, check_max_iters
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.rs_root or args.natural_root:
        set_data_roots(cfg, args.rs_root, args.natural_root)
    check_max_iters(cfg)  # before anything is built
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        optim = cfg.optim_wrapper
        if optim.get('type', 'OptimWrapper') == 'OptimWrapper':
            import torch
            optim.type = 'AmpOptimWrapper'
            bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
            optim.setdefault('dtype', 'bfloat16' if bf16 else 'float16')
            # bf16 needs no loss scaling; a GradScaler would also read its
            # found-inf flag back to the host after every step.
            optim.setdefault('loss_scale', dict(enabled=False) if optim.dtype
                             == 'bfloat16' else 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr', {}), enable=True)
    if args.init_from:
        add_init_hook(cfg, args.init_from)
    return cfg


INIT_HOOK_MODULE = 'mmgersp.engine.hooks.backbone_init_hook'


def add_init_hook(cfg: Config, weights: str) -> None:
    """Append ``BackboneInitHook(weights)``; its module is imported here
    and listed in ``custom_imports`` (``import mmgersp`` does not load it),
    so the config saved in the work dir runs again as is."""
    import importlib
    importlib.import_module(INIT_HOOK_MODULE)
    imports = dict(cfg.get('custom_imports', None) or
                   dict(imports=[], allow_failed_imports=False))
    names = imports.get('imports', [])
    names = [names] if isinstance(names, str) else list(names)
    imports['imports'] = names + [INIT_HOOK_MODULE] * (
        INIT_HOOK_MODULE not in names)
    cfg.custom_imports = imports
    cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
        dict(type='BackboneInitHook', checkpoint=weights)]


def check_init_from(path: str) -> None:
    """Fail before building anything when --init-from cannot be read."""
    from mmgersp.apis.export import ExportError, read_backbone_weights
    from mmgersp.utils.checkpoint import CheckpointError
    try:
        read_backbone_weights(path)
    except (CheckpointError, ExportError) as e:
        raise SystemExit(f'error: --init-from: {e}') from e


def main() -> None:
    args = parse_args()
    try:
        cfg = build_config(args)
    except ValueError as e:  # a flag or --cfg-options key to fix
        raise SystemExit(f'error: {e}') from e
    from mmgersp.utils import setup_cpu_distributed
    from mmgersp.utils.checkpoint import (require_checkpoint,
                                          scope_checkpoint_loads)
    from mmgersp.utils.cli import exit_on_error
    if args.resume not in (None, 'auto'):
        # before building anything: one line naming the file and the reason
        exit_on_error(require_checkpoint)(args.resume, 'resume from')
    if args.init_from:
        check_init_from(args.init_from)
    setup_cpu_distributed(cfg)
    # mmengine's resume/load run inside the scoped allow-list
    runner = scope_checkpoint_loads(Runner.from_cfg(cfg))
    exit_on_error(runner.train)()


if __name__ == '__main__':
    main()
