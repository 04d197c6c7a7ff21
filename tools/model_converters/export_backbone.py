"""Export the GeRSP student backbone for OpenMMLab, torchvision and timm.

    python tools/model_converters/export_backbone.py CKPT OUT.pth [--force]
    python tools/model_converters/export_backbone.py CKPT OUT_DIR \
        --format mmpretrain torchvision timm [--name NAME] [--config CONFIG]
        [--input-size N] [--force]

Without ``--format``: OUT is one file, ``{'state_dict': {'backbone.<name>':
tensor}, 'meta': {...}}``, for ``init_cfg=dict(type='Pretrained',
checkpoint=OUT, prefix='backbone.')``; it loads with ``torch.load(OUT,
weights_only=True)``.

With ``--format`` (one or more): OUT is a folder receiving, for each format,
a file (folder for timm) named ``<name>[_<format>]-<sha256[:8]>`` with a
``.json`` sidecar and a ``.md`` model card beside it:

* ``mmpretrain``: the file above (``meta`` has ``backbone_cfg`` and
  ``normalization``);
* ``torchvision``: a plain state dict for ``torchvision.models.resnetN()``,
  strict except ``fc.*`` (absent: no classifier is shipped);
* ``timm``: ``config.json`` (``num_classes=0``, mean/std on the 0-1 scale,
  input size, GeRSP provenance) + ``model.safetensors`` for
  ``timm.create_model('local-dir:FOLDER', pretrained=True)``.

torchvision and timm take mmpretrain ``ResNet`` backbones in torchvision's
layout only; anything else is refused by name. Outputs are written
atomically and never replace CKPT; an existing output is replaced only with
``--force``; a refused or failed export leaves nothing behind.
"""
import argparse
import os.path as osp


def parse_args(argv=None) -> argparse.Namespace:
    from mmgersp.apis.export import FORMATS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='GeRSP training checkpoint')
    parser.add_argument('out', help='output file (.pth) without --format; '
                        'output folder with --format')
    parser.add_argument('--format', nargs='+', choices=FORMATS,
                        dest='formats', metavar='FORMAT',
                        help=f'one or more of {", ".join(FORMATS)}: '
                        'hash-named files with sidecar and model card')
    parser.add_argument('--name', help='file name stem with --format '
                        '(default: the config name)')
    parser.add_argument('--config', help='config the checkpoint was trained '
                        'with (default: the copy inside the checkpoint)')
    parser.add_argument('--input-size', type=int,
                        help='override the pre-training crop side')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the student backbone')
    parser.add_argument('--force', action='store_true',
                        help='replace existing outputs (never CKPT itself)')
    return parser.parse_args(argv)


def export(args: argparse.Namespace) -> list:
    from mmgersp.apis.export import (export_backbone, export_formats,
                                     export_summary, extract_backbone)
    from mmgersp.utils.checkpoint import read_checkpoint
    if not args.formats:
        export_backbone(args.checkpoint, args.out, prefix=args.prefix,
                        force=args.force)
        # read back: what downstream configs will load
        state = extract_backbone(read_checkpoint(args.out), args.prefix)
        n_params = sum(v.numel() for v in state.values())
        print(f'exported {len(state)} tensors ({n_params / 1e6:.2f} M '
              'values) of the student backbone to')
        print(osp.abspath(args.out))
        return [osp.abspath(args.out)]
    results = export_formats(args.checkpoint, args.out, args.formats,
                             name=args.name, config=args.config,
                             input_size=args.input_size, prefix=args.prefix,
                             force=args.force)
    print('\n'.join(export_summary(results)))
    return [r['path'] for r in results]


def main(argv=None) -> list:
    from mmgersp.apis.export import exit_on_export_error
    return exit_on_export_error(export)(parse_args(argv))


if __name__ == '__main__':
    main()
