"""GeRSP with non-ResNet backbones: maps, pooled vectors, widths, refusals.

Small Swin / ConvNeXt / ViT (one block per stage) on real AID + CIFAR-10
batches of 32 px, on CPU.
"""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.runner import Runner

from tests.conftest import tiny_gersp_cfg

# one block per stage: the layouts of Swin-T / ConvNeXt-T, a fraction of
# their width
SMALL_CONVNEXT = dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1],
                                                 channels=[8, 16, 32, 64]))
SMALL_SWIN = dict(type='SwinTransformer', pad_small_map=True,
                  out_indices=(0, 1, 2, 3),
                  arch=dict(embed_dims=8, depths=[1, 1, 1, 1],
                            num_heads=[1, 1, 1, 1]))


class PooledAsMap(nn.Module):
    """A backbone returning its inner backbone's pooled vector as a
    constant ``size`` map: what it gives, GAP-ed, is the vector again."""

    def __init__(self, inner: nn.Module, size: tuple) -> None:
        super().__init__()
        self.inner, self.size = inner, size

    def forward(self, x: torch.Tensor) -> tuple:
        vec = self.inner(x)[-1]
        return (vec[:, :, None, None].expand(-1, -1, *self.size), )


@pytest.fixture(autouse=True)
def mmpretrain_default_scope():
    """Builds in mmpretrain's scope, whichever runner ran before."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


@pytest.fixture()
def tiny(aid_root, cifar_train_root, tmp_path):
    """The demo GeRSP config at 32 px, heads left to the backbone, and one
    preprocessed dual-stream batch."""
    from mmpretrain.registry import MODELS
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    cfg.model.neck.update(in_channels='auto', hid_channels=None)
    cfg.model.cls_head.in_channels = 'auto'
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    prep = MODELS.build(cfg.model.data_preprocessor)
    return cfg, prep(next(iter(loader)), True)


def build_gersp(cfg, backbone):
    """GeRSP of ``cfg`` around ``backbone`` (a config or a module), heads
    and queue drawn from seed 0, teacher := student."""
    from mmgersp.models import GeRSP
    kwargs = copy.deepcopy(cfg.model.to_dict())
    kwargs.pop('type')
    kwargs['backbone'] = backbone
    torch.manual_seed(0)
    model = GeRSP(**kwargs)
    model.init_teacher()
    return model


def losses(model, data) -> dict:
    torch.manual_seed(1)
    return model.loss(**data)


@pytest.mark.parametrize('size', [(1, 1), (3, 3)])
def test_pooled_vector_backbone_equals_map_and_pooling(tiny, size):
    """ConvNeXt's default output, (N, C) after its final norm, trains GeRSP
    exactly as the same backbone and weights giving a map whose average is
    that vector: the vector is used as it is, the map is pooled."""
    from mmpretrain.registry import MODELS
    cfg, data = tiny
    torch.manual_seed(0)
    convnext = MODELS.build(SMALL_CONVNEXT)
    assert convnext.gap_before_final_norm  # (N, 64) vectors
    vec = build_gersp(cfg, copy.deepcopy(convnext))
    fmap = build_gersp(cfg, PooledAsMap(copy.deepcopy(convnext), size))
    assert vec.feat_width == fmap.feat_width == 64
    assert vec.neck.mlp[0].in_features == vec.neck.mlp[0].out_features == 64
    assert vec.cls_head.fc.in_features == 64
    a, b = losses(vec, data), losses(fmap, data)
    for key in ('loss_contrast', 'loss_cls', 'acc_contrast', 'acc_cls'):
        if size == (1, 1):  # the pooling of a 1 x 1 map is exact
            assert torch.equal(a[key], b[key]), key
        else:
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)
    assert float(a['loss_contrast']) > 0 and float(a['loss_cls']) > 0
    # the enqueued teacher keys agree too
    torch.testing.assert_close(vec.queue, fmap.queue, rtol=0, atol=1e-6)


def test_map_backbone_trains_with_widths_of_its_own(tiny):
    """A Swin returning four maps: GeRSP pools the last (8 x 8 = 64
    channels); the projector and classifier left as 'auto'/None are 64
    wide; a step updates the student and leaves the teacher."""
    cfg, data = tiny
    model = build_gersp(cfg, SMALL_SWIN)
    assert model.feat_width == 64
    assert model.neck.mlp[0].in_features == 64
    assert model.neck.mlp[0].out_features == 64  # hid_channels=None
    assert model.cls_head.fc.in_features == 64
    out = losses(model, data)
    sum(v for k, v in out.items() if k.startswith('loss')).backward()
    assert model.backbone.norm3.weight.grad is not None
    # the unused stage norms are built (for the downstream export) but get
    # no gradient: hence find_unused_parameters in the recipes
    assert model.backbone.norm0.weight.grad is None
    assert all(p.grad is None for p in model.teacher.parameters())


def test_explicit_widths_are_kept(tiny):
    cfg, _ = tiny
    cfg.model.neck.update(in_channels=64, hid_channels=32)
    cfg.model.cls_head.in_channels = 64
    model = build_gersp(cfg, SMALL_CONVNEXT)
    assert (model.neck.mlp[0].in_features,
            model.neck.mlp[0].out_features) == (64, 32)


def test_unpoolable_output_is_refused_at_build(tiny):
    """A ViT's raw token sequence (N, L, C): refused when the model is
    built, naming the setting that gives a map or a vector."""
    cfg, _ = tiny
    vit = dict(type='VisionTransformer', img_size=32, patch_size=16,
               out_type='raw',
               arch=dict(embed_dims=16, num_layers=1, num_heads=1,
                         feedforward_channels=16))
    with pytest.raises(ValueError) as err:
        build_gersp(cfg, vit)
    msg = str(err.value)
    assert msg.startswith('model.backbone (VisionTransformer)')
    assert "out_type='avg_featmap'" in msg and '(1, 197, 16)' in msg
    # ... and with a pooled output the same ViT trains
    vit['out_type'] = 'avg_featmap'
    assert build_gersp(cfg, vit).feat_width == 16
