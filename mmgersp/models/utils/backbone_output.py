"""A backbone's last output as one vector per image, and that vector's width.

GeRSP, the evaluation library and the tools all need "the pooled feature of
the last stage" and "how wide is it" for any mmpretrain backbone, not just a
ResNet: a feature map ``(N, C, H, W)`` (ResNet, Swin with
``out_indices=(3,)``, ConvNeXt with ``gap_before_final_norm=False``) is
global-average pooled; a vector ``(N, C)`` (ConvNeXt's default) is used as it
is. This module is the one definition of both.
"""
import copy
from typing import Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F


def pool_last_output(outputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                     ) -> torch.Tensor:
    """``(N, C)`` features from a backbone's outputs (tuple: the last one).

    Raises:
        ValueError: for an output that is neither a map nor a vector (e.g.
            a ViT's token sequence or ``(patch_token, cls_token)`` pair),
            naming the backbone setting that gives one.
    """
    out = outputs[-1] if isinstance(outputs, (tuple, list)) else outputs
    if isinstance(out, torch.Tensor) and out.dim() == 4:
        return F.adaptive_avg_pool2d(out, 1).flatten(1)
    if isinstance(out, torch.Tensor) and out.dim() == 2:
        return out
    shape = (tuple(out.shape) if isinstance(out, torch.Tensor) else
             f'a {type(out).__name__} of {len(out)}'
             if isinstance(out, (tuple, list)) else type(out).__name__)
    raise ValueError(
        f'the backbone\'s last output is {shape}; GeRSP needs a feature map '
        '(N, C, H, W) or a pooled vector (N, C). Set the backbone to return '
        "one: e.g. model.backbone.out_indices=(3, ) for ResNet/Swin, "
        "model.backbone.out_type='avg_featmap' for a VisionTransformer, "
        'or gap_before_final_norm for ConvNeXt.')


@torch.no_grad()
def backbone_width(backbone: Union[dict, nn.Module],
                   in_channels: int = 3,
                   img_size: int = 64) -> int:
    """Width ``C`` of the pooled last output of ``backbone`` (module or cfg).

    Measured by one forward pass of a zero image, so it is right for any
    backbone (depth, arch, ``out_indices``, ``base_channels``...) without a
    table per architecture. A config is built on the CPU and thrown away.
    """
    if isinstance(backbone, dict):
        from mmpretrain.registry import MODELS
        cfg = copy.deepcopy(dict(backbone))
        in_channels = cfg.get('in_channels', in_channels)
        module = MODELS.build(cfg)
    else:
        module = backbone
    was_training = module.training
    module.eval()
    try:
        param = next(module.parameters(), None)
        x = torch.zeros(1, in_channels, img_size, img_size,
                        device=param.device if param is not None else 'cpu',
                        dtype=param.dtype if param is not None else None)
        return int(pool_last_output(module(x)).shape[1])
    finally:
        module.train(was_training)
