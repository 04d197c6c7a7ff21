"""Export the GeRSP student backbone as a tensor-only checkpoint.

    python tools/model_converters/export_backbone.py CKPT OUT.pth

OUT holds ``{'state_dict': {'backbone.<name>': tensor}, 'meta': {...}}`` and
loads with ``torch.load(OUT, weights_only=True)``; downstream configs read it
with ``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('checkpoint', help='GeRSP training checkpoint')
    parser.add_argument('out', help='output file (.pth)')
    parser.add_argument('--prefix', default='backbone.',
                        help='key prefix of the student backbone')
    args = parser.parse_args()

    from mmgersp.utils import export_backbone, extract_backbone, \
        load_checkpoint_safely
    export_backbone(args.checkpoint, args.out, prefix=args.prefix)
    state = extract_backbone(load_checkpoint_safely(args.out), args.prefix)
    n_params = sum(v.numel() for v in state.values())
    print(f'exported {len(state)} tensors ({n_params / 1e6:.2f} M values) '
          f'of the student backbone to')
    print(osp.abspath(args.out))


if __name__ == '__main__':
    main()
