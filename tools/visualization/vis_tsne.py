"""t-SNE of frozen backbone features by class, one panel per checkpoint.

    python tools/visualization/vis_tsne.py CKPT [CKPT|random ...] --data DIR
        [--labels GeRSP ImageNet] [--max-per-class 20] [--img-size 224]
        [--perplexity 30] [--iters 1000] --out tsne.png

Features are the globally pooled last ResNet stage, embedded with an exact
t-SNE (``mmgersp.evaluation.tsne``: O(N^2), meant for a few hundred to a
couple of thousand points). Each panel's title gives the final KL
divergence and the kNN top-1 of the *original* features on DIR's
deterministic split, so the picture comes with a number.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoints', nargs='+',
                        help="checkpoint files or 'random', one panel each")
    parser.add_argument('--data', required=True,
                        help='class-folder tree <DIR>/<class>/<image>')
    parser.add_argument('--labels', nargs='+', help='panel titles')
    parser.add_argument('--out', default='tsne.png')
    parser.add_argument('--max-per-class', type=int, default=20,
                        help='images per class (default 20)')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--iters', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--depth', type=int, default=50,
                        help="ResNet depth for 'random'")
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.checkpoints):
        parser.error('--labels needs one title per checkpoint')
    return args


def class_colours(n: int):
    """Up to 40 distinguishable colours, then cycled markers."""
    import matplotlib.pyplot as plt
    palette = list(plt.get_cmap('tab20').colors) + list(
        plt.get_cmap('tab20b').colors)
    markers = 'os^Dv'
    return [(palette[i % len(palette)], markers[i // len(palette) % 5])
            for i in range(n)]


def main(argv=None) -> str:
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import torch
    from mmpretrain.utils import register_all_modules

    import mmgersp  # noqa: F401
    from mmgersp.evaluation import (FeatureEvalData, checkpoint_label,
                                    evaluate_features, extract_features,
                                    load_backbone, normalization_from_meta,
                                    tsne)
    register_all_modules(init_default_scope=True)
    device = torch.device(args.device)
    titles = args.labels or [checkpoint_label(c) for c in args.checkpoints]

    panels = []
    for ckpt, title in zip(args.checkpoints, titles):
        backbone, info = load_backbone(ckpt, depth=args.depth, seed=args.seed)
        backbone.to(device)
        data = FeatureEvalData(args.data, args.img_size, seed=args.seed,
                               max_per_class=args.max_per_class,
                               **normalization_from_meta(info['meta']))
        kw = dict(batch_size=args.batch_size, device=device)
        train = extract_features(backbone, data.train, **kw)
        test = extract_features(backbone, data.test, **kw)
        knn = evaluate_features(train, test, data.num_classes)['knn_top1']
        feats = torch.cat([train['feats'], test['feats']]).numpy()
        labels = torch.cat([train['labels'], test['labels']]).numpy()
        emb = tsne(feats, perplexity=args.perplexity, n_iter=args.iters,
                   seed=args.seed)
        panels.append(dict(title=title, xy=emb['embedding'], labels=labels,
                           kl=emb['kl'][-1], perplexity=emb['perplexity'],
                           knn=knn))
        print(f'{title}: {len(labels)} points, KL {emb["kl"][-1]:.3f}, '
              f'kNN top-1 of the features {knn:.1f}')

    colours = class_colours(data.num_classes)
    legend_cols = 1 if data.num_classes <= 20 else 2
    legend_w = 1.7 * legend_cols  # inches kept free for the legend
    width = 5.2 * len(panels) + legend_w
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 5.4),
                             squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for c, name in enumerate(data.classes):
            pts = panel['xy'][panel['labels'] == c]
            colour, marker = colours[c]
            ax.scatter(pts[:, 0], pts[:, 1], s=14, color=colour,
                       marker=marker, label=name, linewidths=0)
        ax.set_title(f'{panel["title"]}\nexact t-SNE, perplexity '
                     f'{panel["perplexity"]:.0f}, KL {panel["kl"]:.2f}; '
                     f'kNN top-1 {panel["knn"]:.1f}%', fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    handles, names = axes[0, -1].get_legend_handles_labels()
    fig.legend(handles, names, loc='center left', fontsize=7,
               bbox_to_anchor=(1 - legend_w / width, 0.5),
               ncol=legend_cols, markerscale=1.5, frameon=False)
    fig.suptitle(f'{osp.basename(osp.normpath(args.data))}: '
                 f'{len(panels[0]["labels"])} images, {data.num_classes} '
                 f'classes, pooled features at {args.img_size} px',
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - legend_w / width, 0.95))
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(osp.abspath(args.out))
    return args.out


if __name__ == '__main__':
    main()
