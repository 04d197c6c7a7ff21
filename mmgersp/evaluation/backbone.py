"""Build a backbone from a local checkpoint (or at random) for evaluation.

Accepts, without knowing beforehand which one it is:

* an exported GeRSP backbone (``{'state_dict': {'backbone.*'}, 'meta'}``),
* a GeRSP training checkpoint (the *student* ``backbone.*``; the teacher
  lives under ``teacher.*`` and is ignored),
* an mmpretrain classifier checkpoint (``backbone.*`` + ``head.*``),
* a torchvision-style ResNet state dict (``conv1.weight``, ..., ``fc.*``),
  which is how ImageNet weights usually arrive;
* ``'random'``: a freshly initialised backbone (a ResNet, or any ``--arch``
  of :data:`mmgersp.apis.recipe.ARCHS`), the no-pre-training baseline.

The architecture comes from the file: an exported backbone carries the
training config's ``model.backbone`` as ``meta['backbone_cfg']`` (any
mmpretrain backbone: ResNet, Swin, ConvNeXt...), and it is built from that.
Only for files without it (older exports, torchvision state dicts) is a
ResNet's depth, stem and downsampling variant read from the tensor names;
nothing else is guessed from names, so the user never passes an
architecture that could disagree with the weights. Loading is strict: a
missing tensor is an error, because a half-random network would silently
give wrong numbers.
"""
import contextlib
import json
import logging
import os
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

from mmgersp.models.utils import last_output, pool_last_output
from mmgersp.utils.checkpoint import (read_checkpoint, select_tensors,
                                      state_dict_of)

RANDOM = 'random'
_RESNET_LAYOUTS = {
    ('basic', (2, 2, 2, 2)): 18,
    ('basic', (3, 4, 6, 3)): 34,
    ('bottleneck', (3, 4, 6, 3)): 50,
    ('bottleneck', (3, 4, 23, 3)): 101,
    ('bottleneck', (3, 8, 36, 3)): 152,
}


def backbone_state_dict(checkpoint: dict) -> 'OrderedDict[str, torch.Tensor]':
    """Backbone tensors of any supported checkpoint, without key prefix."""
    out = select_tensors(checkpoint, 'backbone.', strip=True)
    if out:
        return out
    for k, v in select_tensors(checkpoint).items():
        k = k[len('module.'):] if k.startswith('module.') else k
        if not k.startswith('fc.'):  # torchvision's ImageNet classifier
            out[k] = v
    if not out:
        raise KeyError('the checkpoint holds no backbone tensors')
    return out


def infer_resnet_cfg(state: Dict[str, torch.Tensor]) -> dict:
    """mmpretrain ``ResNet`` config matching the tensor names of ``state``.

    Only a ResNet is recognised by its names; any other layout is an error
    asking for the backbone config, never a guess.
    """
    if 'conv1.weight' not in state and 'stem.0.conv.weight' not in state:
        heads = sorted({k.split('.')[0] for k in state})[:8]
        raise ValueError(
            'the checkpoint is not a ResNet (no conv1.weight / '
            f'stem.0.conv.weight; its tensors start with {heads}) and its '
            "meta has no 'backbone_cfg': re-export it with "
            'tools/model_converters/export_backbone.py from the training '
            'checkpoint (which records the backbone config), or pass '
            'backbone_cfg explicitly')
    blocks = []
    for stage in range(1, 5):
        ids = {
            int(m.group(1))
            for k in state
            for m in [re.match(rf'layer{stage}\.(\d+)\.', k)] if m
        }
        blocks.append(max(ids) + 1 if ids else 0)
    kind = 'bottleneck' if 'layer1.0.conv3.weight' in state else 'basic'
    depth = _RESNET_LAYOUTS.get((kind, tuple(blocks)))
    if depth is None:
        raise ValueError(
            f'the checkpoint is not a ResNet-18/34/50/101/152 ({kind} blocks '
            f'per stage {blocks}); pass backbone_cfg explicitly')
    deep_stem = any(k.startswith('stem.') for k in state)
    stem_conv = state['stem.0.conv.weight' if deep_stem else 'conv1.weight']
    return dict(
        type='ResNet',
        depth=depth,
        in_channels=int(stem_conv.shape[1]),
        deep_stem=deep_stem,
        avg_down=any('.downsample.2.' in k for k in state),
        out_indices=(3, ))


@contextlib.contextmanager
def _quiet_init():
    """mmengine logs every initialised tensor at INFO; keep stdout readable."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _build(cfg: dict) -> nn.Module:
    """An mmpretrain backbone, whatever the process's default scope."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def meta_backbone_cfg(meta: dict) -> Optional[dict]:
    """``meta['backbone_cfg']`` of an exported file as a plain dict, ready
    to build for evaluation (no ``init_cfg``/``pretrained`` to follow), or
    None when the file does not carry one."""
    cfg = (meta or {}).get('backbone_cfg')
    if cfg is None:
        return None
    if isinstance(cfg, str):  # a serialised dict
        cfg = json.loads(cfg)
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ValueError(f"meta['backbone_cfg'] must be a backbone config "
                         f"dict with a 'type', got {cfg!r}")
    cfg = {k: v for k, v in cfg.items() if k not in ('init_cfg',
                                                     'pretrained')}
    return cfg


def load_backbone(checkpoint: Optional[str] = RANDOM,
                  depth: int = 50,
                  backbone_cfg: Optional[dict] = None,
                  seed: int = 0,
                  arch: Optional[str] = None) -> Tuple[nn.Module, dict]:
    """A backbone (eval mode, CPU) and a load report.

    Args:
        checkpoint: Path of a local checkpoint, or ``'random'``/None.
        depth: ResNet depth for ``'random'``; ignored for checkpoints.
        backbone_cfg: mmpretrain backbone config overriding the file's
            ``meta['backbone_cfg']`` (and the inferred ResNet).
        seed: Seed of the random initialisation.
        arch: For ``'random'``: a key of :data:`mmgersp.apis.recipe.ARCHS`
            (``'swin-tiny'``, ``'convnext-tiny'``...) instead of a ResNet of
            ``depth``. A checkpoint's architecture comes from the file.

    Returns:
        ``(backbone, info)``; ``info`` has ``source``, ``cfg``, ``meta`` (the
        checkpoint's, e.g. normalisation written by ``publish_model.py``) and
        ``unexpected_keys`` (tensors in the file that the backbone ignores).
    """
    if checkpoint in (None, RANDOM):
        if backbone_cfg is None and arch is not None:
            from mmgersp.apis.recipe import ARCHS
            if arch not in ARCHS:
                raise ValueError(f'--arch {arch!r}: choose one of '
                                 f'{sorted(ARCHS)}')
            backbone_cfg = ARCHS[arch]
        cfg = dict(backbone_cfg or dict(type='ResNet', depth=depth,
                                        out_indices=(3, )))
        with torch.random.fork_rng(), _quiet_init():
            torch.manual_seed(seed)
            backbone = _build(cfg)
            backbone.init_weights()  # mmpretrain's init, as downstream gets
        backbone.eval()
        return backbone, dict(source=RANDOM, cfg=cfg, meta={},
                              unexpected_keys=[])

    ckpt = read_checkpoint(checkpoint)
    state = backbone_state_dict(ckpt)
    meta = (ckpt.get('meta') if isinstance(ckpt, dict) else None) or {}
    cfg = dict(backbone_cfg or meta_backbone_cfg(meta)
               or infer_resnet_cfg(state))
    with _quiet_init():
        backbone = _build(cfg)
    result = backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise KeyError(
            f'{checkpoint!r} lacks {len(result.missing_keys)} tensors of the '
            f'{cfg}: {result.missing_keys[:8]}...')
    backbone.eval()
    return backbone, dict(source=checkpoint, cfg=cfg, meta=meta,
                          unexpected_keys=list(result.unexpected_keys))


def classifier_head(checkpoint: Optional[str]) -> Optional[nn.Linear]:
    """The ``head.fc`` of an mmpretrain classifier checkpoint, if it has one.

    Lets ``vis_cam.py`` explain a fine-tuned scene classifier as trained
    instead of fitting a probe.
    """
    if checkpoint in (None, RANDOM):
        return None
    state = state_dict_of(read_checkpoint(checkpoint))
    weight, bias = state.get('head.fc.weight'), state.get('head.fc.bias')
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2:
        return None
    fc = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        fc.weight.copy_(weight)
        if bias is not None:
            fc.bias.copy_(bias)
    return fc


def describe_backbone(cfg: dict) -> str:
    """``ResNet-50``, ``SwinTransformer-tiny``, ``ConvNeXt-tiny``: a
    backbone config in a few characters, for logs."""
    size = cfg.get('depth', cfg.get('arch', ''))
    return f'{cfg["type"]}-{size}' if size != '' else str(cfg['type'])


def checkpoint_label(checkpoint: Optional[str]) -> str:
    """Short name of a checkpoint for figure titles."""
    if checkpoint in (None, RANDOM):
        return 'random init'
    return os.path.splitext(os.path.basename(checkpoint))[0]


def normalization_from_meta(meta: dict) -> dict:
    """``mean``/``std``/``channel_order`` a published checkpoint ships.

    Falls back to ImageNet statistics in RGB order, what GeRSP uses.
    """
    from .data import IMAGENET_MEAN, IMAGENET_STD
    norm = dict(meta.get('normalization') or {})
    return dict(
        mean=tuple(norm.get('mean', IMAGENET_MEAN)),
        std=tuple(norm.get('std', IMAGENET_STD)),
        channel_order=str(norm.get('channel_order', 'RGB')).upper())


def last_feature_map(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The backbone's last output, which must be a map (``N, C, H, W``).

    Grad-CAM needs one; a backbone that pools itself (ConvNeXt's default,
    ``gap_before_final_norm=True``) is refused with the setting to change.
    """
    out = last_output(backbone(x))
    if not isinstance(out, torch.Tensor) or out.dim() != 4:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else \
            type(out).__name__
        raise ValueError(
            f'Grad-CAM needs a backbone whose last output is a spatial map '
            f'(N, C, H, W); this {type(backbone).__name__} returns {shape}, '
            'already pooled. Build it to return a map (ConvNeXt: '
            'gap_before_final_norm=False, which also moves its final norm '
            'before the pooling; ResNet/Swin: out_indices=(3, )) and pass '
            'it as backbone_cfg, or leave this backbone out of the CAM '
            'figure.')
    return out


def pooled_features(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The pooled last output (``N, C``), exactly as GeRSP pools it."""
    return pool_last_output(backbone(x))
