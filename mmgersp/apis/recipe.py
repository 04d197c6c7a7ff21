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
    """Shorten an iteration-based config, schedules included."""
    if cfg.train_cfg.get('type') != 'IterBasedTrainLoop':
        raise ValueError('set_max_iters needs an IterBasedTrainLoop config')
    if isinstance(max_iters, bool) or not isinstance(max_iters, int) or \
            max_iters < 1:
        raise ValueError(f'--max-iters must be an integer >= 1, got '
                         f'{max_iters!r}')
    cfg.train_cfg.max_iters = max_iters
    for scheduler in cfg.get('param_scheduler', None) or []:
        if not scheduler.get('by_epoch', True):
            scheduler.end = max_iters
    ckpt = cfg.default_hooks.checkpoint
    ckpt.interval = min(ckpt.interval, max_iters)
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
    """Set every random-resized crop under ``node`` (nested too) to ``size``."""
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
    'swin-tiny': dict(type='SwinTransformer', arch='tiny', out_indices=(3, )),
    'convnext-tiny': dict(type='ConvNeXt', arch='tiny'),
}


def set_backbone(model, arch: str) -> int:
    """Make ``model``'s backbone the ``--arch`` one and fit its heads.

    The backbone keeps its ``in_channels`` and ``norm_cfg`` where the new
    type takes them; returns the new width.
    """
    if arch not in ARCHS:
        raise ValueError(f'--arch {arch!r}: choose one of {sorted(ARCHS)}')
    old = model.backbone
    new = dict(ARCHS[arch])
    if 'in_channels' in old:
        new['in_channels'] = old['in_channels']
    if old.get('type') == new['type'] and 'norm_cfg' in old:
        new['norm_cfg'] = old['norm_cfg']
    model.backbone = new
    return fit_heads_to_backbone(model)


def fit_heads_to_backbone(model) -> int:
    """Resize the projector and classifier inputs to ``model.backbone``.

    Call after changing the backbone (depth, arch, type); returns the width
    (measured by :func:`mmgersp.models.utils.backbone_width`). MoCo v2's
    projector keeps its hidden width equal to its input, as in the recipes.
    """
    from mmgersp.models.utils import backbone_width
    width = backbone_width(model.backbone)
    neck = model.get('neck') or {}
    if neck.get('type') == 'MoCoV2Neck':
        neck.update(in_channels=width, hid_channels=width)
    classifier = model.get('cls_head') or (
        model.head if model.type == 'ImageClassifier' else None)
    if classifier is not None:
        classifier.in_channels = width
    return width
