"""Grad-CAM (Selvaraju et al., 2017) of a backbone + classifier head.

The head sees the globally pooled last feature map, as in GeRSP's scene
classifiers (pooled by the one definition the features and the probe use),
so the map explains exactly the logit the classifier outputs. It needs a
backbone whose last output is a map: one that pools itself (ConvNeXt's
default) is refused by :func:`~mmgersp.evaluation.backbone.last_feature_map`
with the setting to change.
"""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmgersp.models.utils import pool_last_output

from .backbone import last_feature_map


def grad_cam(backbone: nn.Module,
             head: nn.Module,
             images: torch.Tensor,
             targets: Optional[torch.Tensor] = None
             ) -> Dict[str, torch.Tensor]:
    """Class activation maps at input resolution, each scaled to [0, 1].

    Args:
        backbone: Returns the last feature map (``N, C, h, w``) last
            (a pooled-vector backbone raises a ValueError).
        head: Maps pooled features (``N, C``) to logits.
        images: Normalised batch (``N, 3, H, W``).
        targets: Class explained per image; None explains the prediction.

    Returns:
        ``cam`` (``N, H, W``), ``logits``, the explained ``targets`` and
        ``peak``, the largest value before scaling: 0 means no location has
        positive evidence for the class (the map is then all zeros).
    """
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():  # d logit / d feature map needs the head only
            fmap = last_feature_map(backbone, images)
        with torch.enable_grad():
            fmap.requires_grad_(True)
            logits = head(pool_last_output(fmap))
            if targets is None:
                targets = logits.argmax(1)
            chosen = logits.gather(1, targets.view(-1, 1)).sum()
            grads, = torch.autograd.grad(chosen, fmap)
    finally:
        backbone.train(was_training)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * fmap.detach()).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=images.shape[-2:], mode='bilinear',
                        align_corners=False).squeeze(1)
    flat = cam.flatten(1)
    low, high = flat.min(1).values, flat.max(1).values
    cam = (cam - low.view(-1, 1, 1)) / (high - low).clamp_min(1e-12).view(
        -1, 1, 1)
    return dict(cam=cam, logits=logits.detach(), targets=targets, peak=high)
