"""Build a backbone from a local checkpoint (or at random) for evaluation.

Accepts, without knowing beforehand which one it is:

* an exported GeRSP backbone (``{'state_dict': {'backbone.*'}, 'meta'}``),
* a GeRSP training checkpoint (the *student* ``backbone.*``; the teacher
  lives under ``teacher.*`` and is ignored),
* an mmpretrain classifier checkpoint (``backbone.*`` + ``head.*``),
* a torchvision-style ResNet state dict (``conv1.weight``, ..., ``fc.*``),
  which is how ImageNet weights usually arrive;
* ``'random'``: a freshly initialised ResNet, the no-pre-training baseline.

The ResNet depth, stem and downsampling variant are read from the tensor
names, so the user never has to pass an architecture that could disagree
with the weights. Loading is strict: a missing tensor is an error, because
a half-random network would silently give wrong numbers.
"""
import contextlib
import os
import logging
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

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
    """mmpretrain ``ResNet`` config matching the tensor names of ``state``."""
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


def load_backbone(checkpoint: Optional[str] = RANDOM,
                  depth: int = 50,
                  backbone_cfg: Optional[dict] = None,
                  seed: int = 0) -> Tuple[nn.Module, dict]:
    """A backbone (eval mode, CPU) and a load report.

    Args:
        checkpoint: Path of a local checkpoint, or ``'random'``/None.
        depth: ResNet depth for ``'random'``; ignored for checkpoints.
        backbone_cfg: mmpretrain backbone config overriding the inferred one.
        seed: Seed of the random initialisation.

    Returns:
        ``(backbone, info)``; ``info`` has ``source``, ``cfg``, ``meta`` (the
        checkpoint's, e.g. normalisation written by ``publish_model.py``) and
        ``unexpected_keys`` (tensors in the file that the backbone ignores).
    """
    from mmpretrain.registry import MODELS

    if checkpoint in (None, RANDOM):
        cfg = dict(backbone_cfg or dict(type='ResNet', depth=depth,
                                        out_indices=(3, )))
        with torch.random.fork_rng(), _quiet_init():
            torch.manual_seed(seed)
            backbone = MODELS.build(cfg)
            backbone.init_weights()  # mmpretrain's init, as downstream gets
        backbone.eval()
        return backbone, dict(source=RANDOM, cfg=cfg, meta={},
                              unexpected_keys=[])

    ckpt = read_checkpoint(checkpoint)
    state = backbone_state_dict(ckpt)
    cfg = dict(backbone_cfg or infer_resnet_cfg(state))
    backbone = MODELS.build(cfg)
    result = backbone.load_state_dict(state, strict=False)
    if result.missing_keys:
        raise KeyError(
            f'{checkpoint!r} lacks {len(result.missing_keys)} tensors of the '
            f'{cfg}: {result.missing_keys[:8]}...')
    backbone.eval()
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    return backbone, dict(source=checkpoint, cfg=cfg, meta=meta or {},
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
    """The backbone's last output (``N, C, H, W``)."""
    out = backbone(x)
    return out[-1] if isinstance(out, (tuple, list)) else out


def pooled_features(backbone: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Global-average-pooled last feature map (``N, C``), as GeRSP pools."""
    feat = last_feature_map(backbone, x)
    return feat.mean(dim=(2, 3)) if feat.dim() == 4 else feat
