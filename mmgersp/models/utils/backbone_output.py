"""A backbone's last output as one vector per image, and that vector's width.

GeRSP, the evaluation library and the tools all need "the pooled feature of
the last stage" and "how wide is it" for any mmpretrain backbone, not just a
ResNet: a feature map ``(N, C, H, W)`` (ResNet, Swin with
``out_indices=(3,)``, ConvNeXt with ``gap_before_final_norm=False``) is
global-average pooled; a vector ``(N, C)`` (ConvNeXt's default) is used as it
is. This module is the one definition of both (and of "the last output").
"""
import copy
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F


def last_output(outputs: Union[torch.Tensor, Sequence[torch.Tensor]]):
    """A backbone's last output: the last of a tuple, else the output."""
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs


def pool_last_output(outputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                     ) -> torch.Tensor:
    """``(N, C)`` features from a backbone's outputs (tuple: the last one).

    Raises:
        ValueError: for an output that is neither a map nor a vector (e.g.
            a ViT's token sequence or ``(patch_token, cls_token)`` pair),
            naming the backbone setting that gives one.
    """
    out = last_output(outputs)
    if isinstance(out, torch.Tensor) and out.dim() == 4:
        return F.adaptive_avg_pool2d(out, 1).flatten(1)
    if isinstance(out, torch.Tensor) and out.dim() == 2:
        return out
    shape = (tuple(out.shape) if isinstance(out, torch.Tensor) else
             f'a {type(out).__name__} of {len(out)}'
             if isinstance(out, (tuple, list)) else type(out).__name__)
    raise ValueError(
        f'the backbone\'s last output is {shape}; pooled features (GeRSP, '
        'the feature evaluation) need a feature map (N, C, H, W) or a '
        'vector (N, C). Set the backbone to return one: e.g. '
        'model.backbone.out_indices=(3, ) for ResNet/Swin, '
        "model.backbone.out_type='avg_featmap' (or 'featmap') for a "
        'VisionTransformer, gap_before_final_norm=True/False for ConvNeXt.')


def backbone_width(backbone: Union[dict, nn.Module],
                   in_channels: Optional[int] = None,
                   img_size: int = 224) -> int:
    """Width ``C`` of the pooled last output of ``backbone`` (module or cfg);
    see :func:`last_output_shape`."""
    return last_output_shape(backbone, in_channels, img_size)[1]


@torch.no_grad()
def last_output_shape(backbone: Union[dict, nn.Module],
                      in_channels: Optional[int] = None,
                      img_size: int = 224) -> tuple:
    """Shape of the last output of ``backbone`` (module or cfg) for one
    image: ``(1, C, H, W)`` for a map, ``(1, C)`` for a pooled vector.

    Measured by one forward pass of a zero image, so it is right for any
    backbone (depth, arch, ``out_indices``, ``base_channels``...) without a
    table per architecture. A config is built on the CPU and thrown away.
    The default 224 px is the size every backbone takes (mmpretrain's Swin
    refuses stage maps smaller than its window unless ``pad_small_map``).
    ``in_channels`` defaults to the config's, else to the input bands of the
    module's first convolution, else 3.
    """
    if isinstance(backbone, dict):
        from mmengine.registry import DefaultScope
        from mmpretrain.registry import MODELS
        cfg = copy.deepcopy(dict(backbone))
        if in_channels is None:
            in_channels = cfg.get('in_channels')
        # mmpretrain's scope whatever the process's default is (a runner of
        # mmdet/mmrotate/mmseg may have set its own): a bare 'ResNet' means
        # mmpretrain's, as in a pre-training config
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            module = MODELS.build(cfg)
    else:
        module = backbone
    if in_channels is None:
        conv = next((m for m in module.modules()
                     if isinstance(m, nn.Conv2d)), None)
        in_channels = conv.in_channels if conv is not None else 3
    was_training = module.training
    module.eval()
    try:
        param = next(module.parameters(), None)
        x = torch.zeros(1, in_channels, img_size, img_size,
                        device=param.device if param is not None else 'cpu',
                        dtype=param.dtype if param is not None else None)
        out = last_output(module(x))
        pool_last_output(out)  # neither a map nor a vector: the error
        return tuple(int(n) for n in out.shape)
    finally:
        module.train(was_training)
