"""Quick check of a backbone: kNN and linear-probe top-1 on frozen features.

    python tools/analysis_tools/eval_features.py CKPT --data DIR
        [--img-size 224] [--train-ratio 0.5] [--seed 0] [--max-per-class N]
        [--k 20] [--temperature 0.07] [--out results.json] [--dump-split DIR]

CKPT is an exported GeRSP backbone (any mmpretrain backbone: ResNet, Swin,
ConvNeXt; built from the ``meta['backbone_cfg']`` the export records), a
GeRSP training checkpoint (student), an mmpretrain classifier, a torchvision
ResNet state dict, or ``random`` (``--depth`` picks the ResNet, ``--arch``
another backbone). DIR is a class-folder tree
(``DIR/<class>/<image>``), split per class by a hash of each path, so the
split is the same on every machine (``--dump-split`` writes it as
mmpretrain annotation files, byte for byte what
``tools/dataset_converters/scene_cls_split.py`` writes for the same
``--train-ratio`` and ``--seed``). Normalisation comes from the
checkpoint's meta when ``publish_model.py`` wrote it, else ImageNet mean/std
in RGB order.
"""
import argparse
import json
import os.path as osp
import sys


def parse_args(argv=None) -> argparse.Namespace:
    from mmgersp.evaluation.cli import add_arch_argument
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help="checkpoint file, or 'random'")
    parser.add_argument('--data', required=True,
                        help='class-folder tree <DIR>/<class>/<image>')
    parser.add_argument('--depth', type=int, default=50,
                        help="ResNet depth for 'random' (default 50)")
    add_arch_argument(parser)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--train-ratio', type=float, default=0.5,
                        help='share of each class used as kNN memory / probe '
                        'training set (default 0.5)')
    parser.add_argument('--seed', type=int, default=0,
                        help='split seed (and init seed of random)')
    parser.add_argument('--max-per-class', type=int,
                        help='use at most N images per class (quick look)')
    parser.add_argument('--k', type=int, default=20)
    parser.add_argument('--temperature', type=float, default=0.07)
    parser.add_argument('--linear-wd', type=float, default=1e-3,
                        help='L2 penalty of the linear probe')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1')
    parser.add_argument('--out', help='write the results as JSON')
    parser.add_argument('--dump-split',
                        help='write classes.txt, train.txt, test.txt (relpath '
                        'label) here')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch
    from mmpretrain.utils import register_all_modules

    import mmgersp  # noqa: F401
    from mmgersp.evaluation import (FeatureEvalData, describe_backbone,
                                    evaluate_backbone, load_backbone,
                                    normalization_from_meta, write_split)
    register_all_modules(init_default_scope=True)

    backbone, info = load_backbone(args.checkpoint, depth=args.depth,
                                   seed=args.seed, arch=args.arch)
    if info['cfg'].get('in_channels', 3) != 3:
        sys.exit(f'{args.checkpoint} expects {info["cfg"]["in_channels"]} '
                 'input bands; this tool reads RGB images')
    device = torch.device(args.device)
    backbone.to(device)
    norm = normalization_from_meta(info['meta'])
    data = FeatureEvalData(args.data, args.img_size, args.train_ratio,
                           args.seed, args.max_per_class, **norm)
    print(f'backbone: {info["source"]} -> {describe_backbone(info["cfg"])}'
          + (f' (ignored {len(info["unexpected_keys"])} non-backbone '
             'tensors)' if info['unexpected_keys'] else ''))
    print(f'data: {args.data}: {data.num_classes} classes, '
          f'{len(data.train)} train / {len(data.test)} test images at '
          f'{args.img_size} px, normalisation {norm}')
    if args.dump_split:  # the files scene_cls_split.py writes
        write_split(args.dump_split, data.classes, data.train_samples,
                    data.test_samples)

    results = evaluate_backbone(
        backbone, data, k=args.k, temperature=args.temperature,
        linear_weight_decay=args.linear_wd, batch_size=args.batch_size,
        num_workers=args.num_workers, device=device,
        progress=not args.no_progress)
    results.update(checkpoint=args.checkpoint, data=osp.abspath(args.data),
                   img_size=args.img_size, train_ratio=args.train_ratio,
                   seed=args.seed, max_per_class=args.max_per_class,
                   k=args.k, temperature=args.temperature,
                   linear_weight_decay=args.linear_wd, backbone=info['cfg'],
                   normalization=norm)
    print(f'kNN (k={args.k}, T={args.temperature}) top-1: '
          f'{results["knn_top1"]:.2f}')
    print(f'linear probe top-1: {results["linear_top1"]:.2f}')
    print(f'({results["seconds"]:.1f} s)')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == '__main__':
    main()
