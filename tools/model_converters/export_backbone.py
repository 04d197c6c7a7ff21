"""Export the GeRSP student backbone as a tensor-only checkpoint.

    python tools/model_converters/export_backbone.py CKPT OUT.pth [--force]

OUT holds ``{'state_dict': {'backbone.<name>': tensor}, 'meta': {...}}`` and
loads with ``torch.load(OUT, weights_only=True)``; downstream configs read it
with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
OUT is written atomically and never replaces CKPT; an existing OUT is
replaced only with ``--force``.
"""
import argparse
import os.path as osp

from mmgersp.utils.checkpoint import exit_on_error


@exit_on_error
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('checkpoint', help='GeRSP training checkpoint')
    parser.add_argument('out', help='output file (.pth)')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the student backbone')
    parser.add_argument('--force', action='store_true',
                        help='replace OUT if it exists (never CKPT itself)')
    args = parser.parse_args()

    from mmgersp.apis.export import export_backbone, extract_backbone
    from mmgersp.utils.checkpoint import read_checkpoint
    export_backbone(args.checkpoint, args.out, prefix=args.prefix,
                    force=args.force)
    # read back: what downstream configs will load
    state = extract_backbone(read_checkpoint(args.out), args.prefix)
    n_params = sum(v.numel() for v in state.values())
    print(f'exported {len(state)} tensors ({n_params / 1e6:.2f} M values) '
          f'of the student backbone to')
    print(osp.abspath(args.out))


if __name__ == '__main__':
    main()
