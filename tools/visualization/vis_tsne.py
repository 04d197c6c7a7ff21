"""t-SNE of frozen backbone features by class, one panel per checkpoint.

    python tools/visualization/vis_tsne.py CKPT [CKPT|random ...] --data DIR
        [--labels GeRSP ImageNet] [--max-per-class 20] [--img-size 224]
        [--perplexity 30] [--iters 1000] --out tsne.png

Features are the globally pooled last ResNet stage, embedded with
scikit-learn's t-SNE (through ``mmgersp.evaluation.tsne``: PCA to 50
dimensions, then ``TSNE(max_iter=--iters)``). Each panel's title gives the
final KL divergence and the kNN top-1 of the *original* features on DIR's
deterministic split, so the picture comes with a number.
"""
import os.path as osp

from mmgersp.evaluation.cli import (checkpoints_parser, load_checkpoints,
                                    parse_checkpoint_args, save_figure)


def parse_args(argv=None):
    parser = checkpoints_parser(__doc__.split('\n')[0], 'panel', 'tsne.png')
    parser.add_argument('--max-per-class', type=int, default=20,
                        help='images per class (default 20)')
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--iters', type=int, default=1000,
                        help='t-SNE iterations (at least 250)')
    parser.add_argument('--batch-size', type=int, default=64)
    return parse_checkpoint_args(parser, argv)


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

    from mmgersp.evaluation import evaluate_features, extract_features, tsne
    device = torch.device(args.device)

    panels = []
    for _, title, backbone, _, data in load_checkpoints(args):
        kw = dict(batch_size=args.batch_size, device=device)
        train = extract_features(backbone, data.train, **kw)
        test = extract_features(backbone, data.test, **kw)
        knn = evaluate_features(train, test, data.num_classes)['knn_top1']
        feats = torch.cat([train['feats'], test['feats']]).numpy()
        labels = torch.cat([train['labels'], test['labels']]).numpy()
        emb = tsne(feats, perplexity=args.perplexity, max_iter=args.iters,
                   seed=args.seed)
        panels.append(dict(title=title, xy=emb['embedding'], labels=labels,
                           kl=emb['kl'], perplexity=emb['perplexity'],
                           knn=knn))
        print(f'{title}: {len(labels)} points, KL {emb["kl"]:.3f}, '
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
        ax.set_title(f'{panel["title"]}\nt-SNE, perplexity '
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
    return save_figure(fig, args.out,
                       rect=(0, 0, 1 - legend_w / width, 0.95))


if __name__ == '__main__':
    main()
