"""Config edits and checks: the one definition of each, for every tool.

Each edit a tool makes to a pre-training config lives here once: data roots,
schedule length (:func:`set_max_iters`), batch composition
(:func:`batch_composition` / :func:`set_batch_composition`), crop size
(:func:`crop_size` / :func:`set_crop_size`) and head widths after a backbone
change (:func:`fit_heads_to_backbone`).
"""
import difflib
import inspect
from typing import Iterable, Iterator, Optional, Tuple

from mmengine.config import Config

from mmgersp.datasets.class_folders import list_class_folders


def count_class_folders(root: str) -> int:
    """Number of class sub-folders of a natural-image tree (at least 2)."""
    n = len(list_class_folders(root, what='natural-image root'))
    if n < 2:
        # one class: the classification loss is 0 from step 1, nothing
        # is learnt from the natural stream
        raise ValueError(
            f'natural-image root {root!r} has {n} class sub-folder; the '
            'natural stream needs at least 2 classes (<root>/<class>/<image>)')
    return n


def set_data_roots(cfg: Config,
                   rs_root: Optional[str] = None,
                   natural_root: Optional[str] = None) -> Config:
    """Point the streams of a pre-training config at user folders.

    ``rs_root`` is any folder of images (any depth); ``natural_root`` a
    class-folder tree, read with mmpretrain's ``CustomDataset``, and the
    classifier (GeRSP's ``cls_head``, an ``ImageClassifier``'s ``head``) is
    resized to its number of classes. Works for the dual-stream configs and
    the single-stream baselines (RS-only MoCo, natural-only supervised).
    """
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'DualStreamDataset':
        rs_cfg, nat_cfg = dataset.datasets
    elif dataset.type == 'RSImageFolder':
        rs_cfg, nat_cfg = dataset, None
    else:
        rs_cfg, nat_cfg = None, dataset
    for flag, root, stream in (('--rs-root', rs_root, rs_cfg),
                               ('--natural-root', natural_root, nat_cfg)):
        if root is not None and stream is None:
            raise ValueError(f'{flag}: this config has no such stream '
                             f'(train_dataloader.dataset is {dataset.type})')
    if rs_root is not None:
        rs_cfg.update(data_root=rs_root, ann_file='', data_prefix='')
    if natural_root is not None:
        num_classes = count_class_folders(natural_root)
        nat_cfg.update(type='CustomDataset', data_root=natural_root,
                       ann_file='', data_prefix='')
        nat_cfg.pop('split', None)
        model = cfg.model
        classifier = model.get('cls_head') or (
            model.head if model.type == 'ImageClassifier' else None)
        if classifier is not None:
            classifier.num_classes = num_classes
        if 'num_classes' in dataset:
            dataset.num_classes = num_classes
    return cfg


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


def check_cfg_options(cfg: Config, options: Optional[Iterable[str]]) -> None:
    """Refuse ``--cfg-options`` whose top-level key the config lacks.

    ``merge_from_dict`` adds unknown keys silently, so a typo such as
    ``train_dataloaderr.batch_size=8`` would change nothing. Keys of the
    config and arguments of mmengine's ``Runner`` are accepted.
    """
    from mmengine.runner import Runner
    known = set(cfg.keys()) | set(
        inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    for option in options or ():
        key = option.split('.')[0]
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else \
                '; check the spelling against the config'
            raise ValueError(
                f"--cfg-options {option}: unknown top-level config key "
                f"'{key}'{hint}")


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
