"""Build a downstream model from its config and report the backbone load.

    python tools/analysis_tools/check_backbone_load.py CONFIG \\
        [--checkpoint CKPT] [--cfg-options key=value ...]

Builds the config's model whatever its backbone (ResNet, Swin, ConvNeXt:
any registered type, ``mmpretrain.*`` ones through the config's
``custom_imports``), runs ``init_weights()`` with the config's backbone
``init_cfg`` (or with ``CKPT`` in its place) and prints, key by key, which
backbone tensors were loaded, missing, unexpected or of another shape.
Exits 1 when any backbone tensor did not come from the checkpoint, so it can
guard a launch script: mmengine itself only logs a warning and trains from
random weights.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import Config, DictAction


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Report how a pre-trained backbone loads into a '
        'downstream model')
    parser.add_argument('config', help='downstream config file')
    parser.add_argument(
        '--checkpoint',
        help='backbone checkpoint to use instead of the config\'s '
        'model.backbone.init_cfg.checkpoint')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.backbone.depth=101')
    parser.add_argument('--max-keys', type=int, default=50,
                        help='list at most this many keys per kind')
    parser.add_argument('--verbose', action='store_true',
                        help="also print mmengine's per-parameter "
                        'initialisation log')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    # registers mmgersp's modules (e.g. the DIOR dataset) in the OpenMMLab
    # registries, as tools/train.py does; it changes nothing else
    import mmgersp  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmgersp.apis.export import (backbone_load_report, key_prefixes,
                                           load_prefixed_state)

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_cfg = cfg.model.get('backbone', {}).get('init_cfg')
    if not init_cfg or init_cfg.get('type') != 'Pretrained':
        print(f'{args.config}: model.backbone.init_cfg is {init_cfg!r}, not '
              "a dict(type='Pretrained', ...): nothing would be loaded")
        return 1
    if args.checkpoint:
        init_cfg.checkpoint = args.checkpoint
    ckpt, prefix = init_cfg.checkpoint, init_cfg.get('prefix', '')
    if cfg.model.get('pretrained'):
        print(f'warning: model.pretrained={cfg.model.pretrained!r} is set '
              'too; mmseg gives it to the backbone, which then refuses '
              'init_cfg')

    print(f'config:     {args.config}')
    print(f'checkpoint: {ckpt} (prefix {prefix!r})')
    if not osp.isfile(ckpt):
        print(f'error: checkpoint {ckpt!r} is not a local file (download '
              'URLs first: the report compares tensors)')
        return 1
    state = load_prefixed_state(ckpt, prefix)
    if not state:
        print(f'error: no key of {ckpt!r} starts with {prefix!r}; its keys '
              f'start with {key_prefixes(ckpt)}. An official GeRSP/MoCo '
              'release (encoder_q.* keys) needs '
              'tools/model_converters/convert_official.py first.')
        return 1

    if cfg.get('default_scope'):
        init_default_scope(cfg.default_scope)
    from mmengine.registry import MODELS

    from mmgersp.utils.logger import quiet_logger
    with quiet_logger('INFO' if args.verbose else 'WARNING'):
        model = MODELS.build(cfg.model)
        model.init_weights()
    backbone = model.backbone
    n_params = sum(p.numel() for p in backbone.parameters())
    print(f'backbone:   {type(backbone).__name__} '
          f'({len(backbone.state_dict())} tensors, '
          f'{n_params / 1e6:.2f} M parameters)')
    report = backbone_load_report(backbone, state)
    print(report.format(args.max_keys))
    print('OK: every backbone tensor was loaded' if report.ok else
          'FAILED: some backbone tensors were not loaded')
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
