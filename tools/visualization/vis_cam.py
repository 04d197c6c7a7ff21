"""Grad-CAM of scene classifiers built on given backbones, side by side.

    python tools/visualization/vis_cam.py GERSP_CKPT [OTHER_CKPT|random ...]
        --data DIR [--labels GeRSP ImageNet] [--num-images 6]
        [--images REL/PATH.jpg ...] [--img-size 224] [--max-per-class N]
        [--target gt|pred] --out cam.png

As the GeRSP paper's figures: one row per image, the input and then one
Grad-CAM column per checkpoint (e.g. GeRSP beside an ImageNet-initialised
backbone). Only local files are read: the second column takes any
checkpoint (a torchvision ResNet-50 state dict saved from ImageNet weights
works) or ``random``.

The classifier on each backbone is its own ``head.fc`` when the checkpoint
is a fine-tuned mmpretrain classifier for DIR's classes; otherwise a linear
probe fitted on the frozen features of DIR's deterministic training split
(the images shown come from the test split). The map explains the true class
(``--target gt``, default) or the predicted one.
"""
from mmgersp.evaluation.cli import (checkpoints_parser, load_checkpoints,
                                    parse_checkpoint_args, save_figure)


def parse_args(argv=None):
    parser = checkpoints_parser(__doc__.split('\n')[0], 'column', 'cam.png')
    parser.add_argument('--num-images', type=int, default=6,
                        help='test images, one per class, classes spread '
                        'over the class list')
    parser.add_argument('--images', nargs='+',
                        help='explicit images (paths relative to DIR)')
    parser.add_argument('--max-per-class', type=int,
                        help='limit the probe training data per class')
    parser.add_argument('--train-ratio', type=float, default=0.5)
    parser.add_argument('--target', choices=['gt', 'pred'], default='gt')
    parser.add_argument('--batch-size', type=int, default=32)
    return parse_checkpoint_args(parser, argv)


def pick_images(data, args):
    """(relpath, label) of the images to show."""
    if args.images:
        out = []
        for rel in args.images:
            cls = rel.replace('\\', '/').split('/')[0]
            if cls not in data.classes:
                raise SystemExit(f'{rel!r} is not under a class folder of '
                                 f'{data.data_root}')
            out.append((rel, data.classes.index(cls)))
        return out
    import numpy as np
    first = {}
    for rel, label in data.test_samples:
        first.setdefault(label, (rel, label))
    labels = sorted(first)
    n = min(args.num_images, len(labels))
    picks = np.linspace(0, len(labels) - 1, n).round().astype(int)
    return [first[labels[i]] for i in picks]


def build_classifier(checkpoint, backbone, data, args, device):
    """The checkpoint's own head for DIR's classes, else a linear probe."""
    from mmgersp.evaluation import (classifier_head, extract_features,
                                    fit_linear_probe)
    head = classifier_head(checkpoint)
    if head is not None and head.out_features == data.num_classes:
        return head.to(device), 'own head'
    feats = extract_features(backbone, data.train, batch_size=args.batch_size,
                             device=device)
    probe = fit_linear_probe(feats['feats'], feats['labels'],
                             data.num_classes)
    return probe.to(device), f'probe on {len(data.train)} images'


def main(argv=None) -> str:
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch

    from mmgersp.evaluation import grad_cam
    device = torch.device(args.device)

    columns, shown = [], None
    for ckpt, title, backbone, info, data in load_checkpoints(
            args, args.train_ratio):
        shown = shown or pick_images(data, args)
        head, how = build_classifier(ckpt, backbone, data, args, device)
        images = data.images(shown)
        batch = torch.stack([images[i][0] for i in range(len(images))])
        truth = torch.tensor([label for _, label in shown])
        try:
            out = grad_cam(backbone, head, batch.to(device),
                           truth.to(device) if args.target == 'gt' else None)
        except ValueError as err:  # a backbone without a map (it pools)
            raise SystemExit(f'{ckpt}: {err}') from None
        probs = out['logits'].softmax(1).cpu()
        columns.append(dict(title=f'{title}\n({how})', cam=out['cam'].cpu(),
                            peak=out['peak'].cpu(),
                            pred=probs.argmax(1), prob=probs.max(1).values))
        print(f'{title}: {info["source"]} ({how}); predictions '
              f'{[data.classes[p] for p in columns[-1]["pred"]]}')

    rows, cols = len(shown), 1 + len(columns)
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 2.5 * rows),
                             squeeze=False)
    for r, (rel, label) in enumerate(shown):
        rgb = images.raw_image(r)
        axes[r, 0].imshow(rgb)
        axes[r, 0].set_title(f'{data.classes[label]}', fontsize=9)
        for c, col in enumerate(columns, start=1):
            axes[r, c].imshow(rgb)
            axes[r, c].imshow(col['cam'][r].numpy(), cmap='jet', alpha=0.5,
                              vmin=0, vmax=1)
            if col['peak'][r] <= 0:
                axes[r, c].text(0.5, 0.5, 'no positive\nevidence', ha='center',
                                va='center', color='white', fontsize=8,
                                transform=axes[r, c].transAxes)
            pred = data.classes[col['pred'][r]]
            axes[r, c].set_title(f'pred {pred} ({col["prob"][r]:.2f})',
                                 fontsize=8,
                                 color='green' if col['pred'][r] == label
                                 else 'red')
    for c, title in enumerate(['input'] + [col['title'] for col in columns]):
        axes[0, c].annotate(title, (0.5, 1.35), xycoords='axes fraction',
                            ha='center', va='bottom', fontsize=10,
                            fontweight='bold')
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    explained = 'true' if args.target == 'gt' else 'predicted'
    fig.suptitle(f'Grad-CAM of the {explained} '
                 f'class, last ResNet stage, {args.img_size} px', fontsize=11)
    return save_figure(fig, args.out, rect=(0, 0, 1, 0.97))


if __name__ == '__main__':
    main()
