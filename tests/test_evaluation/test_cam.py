"""Grad-CAM of a linear head on pooled features is the class activation map."""
import torch

from mmgersp.evaluation import grad_cam, load_backbone


def test_grad_cam_of_linear_head_equals_cam():
    backbone, _ = load_backbone('random', depth=18, seed=0)
    head = torch.nn.Linear(512, 5)
    torch.manual_seed(0)
    images = torch.randn(2, 3, 64, 64)
    targets = torch.tensor([1, 3])
    out = grad_cam(backbone, head, images, targets)
    assert out['cam'].shape == (2, 64, 64)
    assert float(out['cam'].min()) >= 0 and float(out['cam'].max()) <= 1

    with torch.no_grad():
        fmap = backbone(images)[-1]
        # CAM (Zhou et al. 2016): sum_c W[target, c] * A_c; Grad-CAM's
        # weights are W / (h * w), a positive factor removed by scaling
        cam = torch.relu(torch.einsum('nc,nchw->nhw', head.weight[targets],
                                      fmap)).unsqueeze(1)
        cam = torch.nn.functional.interpolate(cam, size=(64, 64),
                                              mode='bilinear').squeeze(1)
    for i in range(2):
        if out['peak'][i] > 0:
            ref = (cam[i] - cam[i].min()) / (cam[i].max() - cam[i].min())
            torch.testing.assert_close(out['cam'][i], ref, atol=1e-5,
                                       rtol=1e-4)
    torch.testing.assert_close(out['logits'], head(fmap.mean((2, 3))))
    # without targets the prediction is explained
    assert torch.equal(grad_cam(backbone, head, images)['targets'],
                       out['logits'].argmax(1))


def test_grad_cam_of_a_swin_and_refusal_of_pooled_vectors():
    """A Swin's last map works like a ResNet's; a backbone that pools itself
    (ConvNeXt's default) has no map to explain: a ValueError naming the
    setting, not a wrong picture."""
    import pytest
    from mmgersp.evaluation import pooled_features
    swin = dict(type='SwinTransformer', pad_small_map=True,
                out_indices=(0, 1, 2, 3),
                arch=dict(embed_dims=8, depths=[1, 1, 1, 1],
                          num_heads=[1, 1, 1, 1]))
    backbone, _ = load_backbone('random', backbone_cfg=swin, seed=0)
    head = torch.nn.Linear(64, 3)
    torch.manual_seed(0)
    images = torch.randn(2, 3, 64, 64)
    out = grad_cam(backbone, head, images)
    assert out['cam'].shape == (2, 64, 64)
    with torch.no_grad():  # the logits the probe would give
        assert torch.equal(out['logits'], head(pooled_features(backbone,
                                                               images)))

    convnext = dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1],
                                               channels=[8, 16, 32, 64]))
    backbone, _ = load_backbone('random', backbone_cfg=convnext, seed=0)
    assert pooled_features(backbone, images).shape == (2, 64)
    with pytest.raises(ValueError, match='gap_before_final_norm=False'):
        grad_cam(backbone, head, images)
