"""Publish the GeRSP student backbone: weights + everything needed to use them.

    python tools/model_converters/publish_model.py CKPT OUT_DIR
        [--name gersp_resnet50_100e] [--config CONFIG] [--date YYYYMMDD]
        [--input-size 224] [--format mmpretrain torchvision timm]

Writes ``OUT_DIR/<name>_<date>-<sha256[:8]>.pth`` (OpenMMLab's naming; the
hash is of the file itself, so a download can be checked with
``sha256sum``) holding ``{'state_dict': {'backbone.*': tensor}, 'meta'}``,
with a ``.json`` sidecar and a ``.md`` model card beside it, written
atomically (an existing file is replaced only with ``--force``); with
``--format``, also the torchvision file and the timm folder of
``export_backbone.py``. ``meta`` (``mmgersp.apis.export.backbone_metadata``,
the same fields as every export) records what users otherwise have to guess:

* ``normalization``: ``mean``/``std`` (0-255 scale) and ``channel_order``
  of the tensors the backbone was trained on, plus ``to_rgb`` for configs
  whose loader reads BGR; ``normalization_0_1``: the same on the 0-1 scale;
* ``bands``, ``input_scale``, ``input_size`` (the pre-training crop side);
* ``backbone_cfg``: the mmpretrain backbone config (type, depth, ...);
* ``config``: the source config's name and full text;
* ``training``: loop type, planned and reached epochs/iterations, seed,
  samples per step, data roots;
* ``method``, ``source`` (checkpoint name, sha256), ``mmgersp_version``,
  ``mmgersp_commit``, ``licence``, ``date``.

It contains only tensors, strings and numbers: it loads with
``torch.load(path, weights_only=True)``. The config is taken from ``--config``
or else from the text mmengine stores in every training checkpoint.
"""
import argparse
import time


def parse_args(argv=None) -> argparse.Namespace:
    from mmgersp.apis.export import FORMATS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='GeRSP training checkpoint')
    parser.add_argument('out_dir', help='folder for the published file')
    parser.add_argument('--name', help='file name stem (default: the '
                        'config name)')
    parser.add_argument('--config', help='config the checkpoint was trained '
                        'with (default: the copy inside the checkpoint)')
    parser.add_argument('--date', default=time.strftime('%Y%m%d'),
                        help='date in the file name (default: today)')
    parser.add_argument('--input-size', type=int,
                        help='override the pre-training crop side')
    parser.add_argument('--format', nargs='+', choices=FORMATS,
                        default=['mmpretrain'], dest='formats',
                        metavar='FORMAT', help='formats to publish '
                        f'({", ".join(FORMATS)}; default mmpretrain)')
    parser.add_argument('--prefix', default='backbone.')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing published file')
    return parser.parse_args(argv)


def publish(args) -> str:
    from mmgersp.apis.export import export_formats, export_summary
    results = export_formats(
        args.checkpoint, args.out_dir, args.formats,
        name=f'{args.name or "{config}"}_{args.date}', config=args.config,
        input_size=args.input_size, prefix=args.prefix, date=args.date,
        force=args.force)
    print('\n'.join(export_summary(results)))
    return results[0]['path'] if len(results) == 1 else \
        [r['path'] for r in results]


def main(argv=None) -> str:
    from mmgersp.apis.export import exit_on_export_error
    return exit_on_export_error(publish)(parse_args(argv))


if __name__ == '__main__':
    main()
