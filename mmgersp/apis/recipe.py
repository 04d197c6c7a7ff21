"""Recipe edits of the tools: the one definition of each config change.

A tool that shrinks or varies a pre-training recipe (demo, comparison,
benchmark, GPU report, zoo publisher) makes each edit through this module:
schedule length (:func:`set_max_iters`), batch composition
(:func:`batch_composition` / :func:`set_batch_composition`), crop size
(:func:`crop_size` / :func:`set_crop_size`), backbone (:data:`ARCHS`,
:func:`set_backbone`) and the head widths that follow it
(:func:`fit_heads_to_backbone`).
"""
from typing import Iterator, Optional, Tuple

from mmengine.config import Config


def set_max_iters(cfg: Config, max_iters: int) -> Config:
    """Make ``cfg`` train for ``max_iters`` iterations, schedules included.

    An iteration-based config keeps its schedulers, now ending at
    ``max_iters``. An epoch-based one (the paper recipes: cosine with
    restarts over 100 epochs) becomes a short run of the same recipe: one
    cosine annealing over ``max_iters`` iterations down to its first
    scheduler's ``eta_min``, checkpoints and log windows counted in
    iterations (one checkpoint, at the end).
    """
    if isinstance(max_iters, bool) or not isinstance(max_iters, int) or \
            max_iters < 1:
        raise ValueError(f'--max-iters must be an integer >= 1, got '
                         f'{max_iters!r}')
    loop = cfg.train_cfg.get('type')
    if loop == 'EpochBasedTrainLoop':
        schedulers = cfg.get('param_scheduler') or [{}]
        first = schedulers[0] if isinstance(schedulers, list) else schedulers
        cfg.param_scheduler = [
            dict(type='CosineAnnealingLR', eta_min=first.get('eta_min', 0.),
                 by_epoch=False, begin=0, end=max_iters)
        ]
        cfg.train_cfg = dict(type='IterBasedTrainLoop')
        cfg.default_hooks.checkpoint.update(by_epoch=False,
                                            interval=max_iters)
        cfg.log_processor = dict(cfg.get('log_processor', {}), by_epoch=False)
    elif loop != 'IterBasedTrainLoop':
        raise ValueError(f'set_max_iters: train_cfg.type {loop!r} is neither '
                         'IterBasedTrainLoop nor EpochBasedTrainLoop')
    cfg.train_cfg.max_iters = max_iters
    for scheduler in cfg.get('param_scheduler', None) or []:
        if not scheduler.get('by_epoch', True):
            scheduler.end = max_iters
    ckpt = cfg.default_hooks.checkpoint
    ckpt.interval = min(ckpt.interval, max_iters)
    sampler = cfg.train_dataloader.get('sampler') or {}
    if sampler.get('type') == 'DualStreamSampler':
        # an iteration loop wants a sampler that never ends (mmengine warns
        # otherwise); the draws are those of the finite sampler
        sampler.infinite = True
    return cfg


def _dicts(node) -> Iterator[dict]:
    """Every dict inside a config value (lists and dicts, recursively)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _dicts(value)


def _crops(node) -> Iterator[dict]:
    """The random-resized-crop transforms of a pipeline (fused ones too)."""
    return (d for d in _dicts(node)
            if str(d.get('type', '')).endswith('RandomResizedCrop'))


def crop_size(node) -> Optional[int]:
    """Output size of the first random-resized crop under ``node``.

    ``node`` is a pipeline, a dataset or a dataloader config; ``None`` when
    it has no crop.
    """
    crop = next(_crops(node), None)
    if crop is None:
        return None
    scale = crop['scale']
    return int(scale[0] if isinstance(scale, (list, tuple)) else scale)


def set_crop_size(node, size: int) -> None:
    """Set every random-resized crop under ``node`` (nested ones too)."""
    for crop in _crops(node):
        crop['scale'] = size


def batch_composition(loader) -> Tuple[int, int, int]:
    """``(n_rs, n_nat, batch_size)`` per rank of a pre-training dataloader.

    A dual-stream loader's ``DualStreamSampler`` holds the two counts; a
    single-stream baseline has all its images in one stream.
    """
    kind = loader.dataset.type
    if kind == 'DualStreamDataset':
        n_rs, n_nat = loader.sampler.n_rs, loader.sampler.n_nat
    elif kind == 'RSImageFolder':
        n_rs, n_nat = loader.batch_size, 0
    else:
        n_rs, n_nat = 0, loader.batch_size
    return n_rs, n_nat, n_rs + n_nat


def set_batch_composition(loader, n_rs: int, n_nat: int) -> None:
    """Images per step and rank; a single-stream loader takes its stream's."""
    kind = loader.dataset.type
    if kind == 'DualStreamDataset':
        loader.sampler.update(n_rs=n_rs, n_nat=n_nat)
        loader.batch_size = n_rs + n_nat
    else:
        loader.batch_size = n_rs if kind == 'RSImageFolder' else n_nat


# ``--arch`` of the tools: mmpretrain backbones whose last output GeRSP pools
# (a map, or ConvNeXt's pooled vector).
ARCHS = {
    'resnet18': dict(type='ResNet', depth=18, out_indices=(3, )),
    'resnet34': dict(type='ResNet', depth=34, out_indices=(3, )),
    'resnet50': dict(type='ResNet', depth=50, out_indices=(3, )),
    # as in configs/gersp/gersp_{swin,convnext}-tiny_*.py (all four stage
    # norms, so exports load 100% downstream; no stochastic depth); Swin pads
    # maps smaller than its 7 px window, so crops below 224 px work too
    'swin-tiny': dict(type='SwinTransformer', arch='tiny',
                      out_indices=(0, 1, 2, 3), drop_path_rate=0.0,
                      pad_small_map=True),
    'convnext-tiny': dict(type='ConvNeXt', arch='tiny',
                          out_indices=(0, 1, 2, 3),
                          gap_before_final_norm=True, drop_path_rate=0.0),
}


def set_backbone(model, arch: str) -> int:
    """Make ``model``'s backbone the ``--arch`` one and fit its heads.

    A backbone of the same type keeps the recipe's other settings (norm,
    init, style: ``--arch resnet18`` on a ResNet-50 recipe changes the
    depth only); another type keeps ``in_channels``. Returns the new width.
    """
    if arch not in ARCHS:
        raise ValueError(f'--arch {arch!r}: choose one of {sorted(ARCHS)}')
    old, new = model.backbone, dict(ARCHS[arch])
    if old.get('type') == new['type']:
        new = {**old, **new}
    elif 'in_channels' in old:
        new['in_channels'] = old['in_channels']
    if model.get('type') == 'MoCo' and len(new.get('out_indices', ())) > 1:
        # mmpretrain's MoCo v2 neck takes the last stage only (asserts one
        # output); GeRSP pools the last of any number itself
        new['out_indices'] = (max(new['out_indices']), )
    model.backbone = new
    return fit_heads_to_backbone(model)


def fit_heads_to_backbone(model) -> int:
    """Resize the projector and classifier inputs to ``model.backbone``.

    Call after changing the backbone (depth, arch, type); returns the width
    (measured by :func:`mmgersp.models.utils.backbone_width`'s forward
    pass). MoCo v2's projector keeps its hidden width equal to its input, as
    in the recipes, and pools only a map.
    """
    from mmgersp.models.utils.backbone_output import last_output_shape
    shape = last_output_shape(model.backbone)
    width = shape[1]
    neck = model.get('neck') or {}
    if neck.get('type') == 'MoCoV2Neck':
        neck.update(in_channels=width, hid_channels=width)
    if model.get('type') == 'MoCo':  # its neck pools maps (GeRSP pools)
        neck['with_avg_pool'] = len(shape) == 4
    classifier = model.get('cls_head') or (
        model.head if model.type == 'ImageClassifier' else None)
    if classifier is not None:
        classifier.in_channels = width
    return width
