"""The device colour stage does, per image, what torchvision's ops do."""
import numpy as np
import pytest
import torch
import torchvision.transforms.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from PIL import Image

from mmgersp.datasets.transforms.colour import (FLIP, GRAY, NUM_PARAMS,
                                                ORDER, draw_colour_params)
from mmgersp.models.data_preprocessors.batch_augment import apply_colour
from tests.conftest import load_tool

count_sync_ops = load_tool('analysis_tools/bench_utils.py').count_sync_ops

OPS = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation,
       F.adjust_hue)


def _reference(img, p: torch.Tensor):
    """torchvision's RandomGrayscale -> ColorJitter -> flip, given params
    (``img``: a [0, 1] float tensor or a PIL image)."""
    if p[GRAY] > 0.5:
        img = F.rgb_to_grayscale(img, num_output_channels=3)
    for op in p[ORDER].long().tolist():
        img = OPS[op](img, float(p[op]))
    return F.hflip(img) if p[FLIP] > 0.5 else img


def _params(n: int, seed: int) -> torch.Tensor:
    rng = np.random.RandomState(seed)
    p = torch.from_numpy(draw_colour_params(n, rng=rng))
    p[:, GRAY] = torch.arange(n) % 3 == 0  # both branches of each choice
    p[:, FLIP] = torch.arange(n) % 2 == 0
    return p


def test_matches_torchvision_tensor_ops():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, 3, 9, 11, generator=g) * 255
    p = _params(12, 1)
    out = apply_colour(x, p)
    for i in range(12):
        ref = _reference(x[i] / 255, p[i]) * 255
        torch.testing.assert_close(out[i], ref, atol=2e-3, rtol=0)


def test_matches_torchvision_on_pil_images_within_rounding():
    """The CPU pipeline rounds to uint8 after every op and PIL's hue works
    on 8-bit HSV (up to ~10 levels off on saturated noise); on average the
    float stage agrees to 1-2 grey levels (measured 0.96-1.61 here)."""
    rng = np.random.RandomState(2)
    imgs = rng.randint(0, 256, (8, 16, 16, 3), dtype=np.uint8)
    p = _params(8, 3)
    out = apply_colour(torch.from_numpy(imgs).permute(0, 3, 1, 2).float(), p)
    for i in range(8):
        ref = np.array(_reference(Image.fromarray(imgs[i]), p[i]))
        diff = (out[i].permute(1, 2, 0) - torch.from_numpy(ref)).abs()
        assert diff.mean() < 2.0, (i, diff.mean())


def test_identity_parameters_change_nothing():
    x = torch.rand(3, 3, 5, 5) * 255
    p = torch.zeros(3, NUM_PARAMS)
    p[:, :3] = 1.  # brightness, contrast, saturation 1; hue 0
    p[:, ORDER] = torch.tensor([3., 2., 1., 0.])
    torch.testing.assert_close(apply_colour(x, p), x, atol=1e-3, rtol=0)


def test_no_host_device_sync():
    x = torch.rand(4, 3, 8, 8) * 255
    p = _params(4, 0)
    assert count_sync_ops(lambda: apply_colour(x, p)) == {}


def test_bad_shapes_are_errors():
    with pytest.raises(ValueError, match=r'\(N, 3, H, W\)'):
        apply_colour(torch.zeros(2, 4, 5, 5), torch.zeros(2, NUM_PARAMS))
    with pytest.raises(ValueError, match='colour params of shape'):
        apply_colour(torch.zeros(2, 3, 5, 5), torch.zeros(3, NUM_PARAMS))


def _batch(n_rs: int, n_nat: int, colour: bool, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    rng = np.random.RandomState(seed)

    def imgs(k):
        return torch.randint(0, 256, (k, 3, 6, 6), dtype=torch.uint8,
                             generator=g)

    def samples(k, views):
        out = [DataSample() for _ in range(k)]
        if colour:
            for s in out:
                s.set_metainfo(dict(
                    colour_params=draw_colour_params(views, rng=rng)))
        return out

    nat = samples(n_nat, 1)
    for s in nat:
        s.set_gt_label(1)
    return dict(inputs=dict(rs=[imgs(n_rs), imgs(n_rs)], nat=imgs(n_nat)),
                data_samples=dict(rs=samples(n_rs, 2), nat=nat,
                                  nat_labels=torch.ones(n_nat,
                                                        dtype=torch.long)))


def _preprocessor(**kw):
    return MODELS.build(dict(type='DualStreamDataPreprocessor',
                             mean=[100., 110., 120.], std=[50., 55., 60.],
                             to_rgb=True, **kw))


def test_preprocessor_applies_the_samples_params_after_rgb_flip():
    pre = _preprocessor()
    data = _batch(3, 2, colour=True)
    out = pre(data, True)['inputs']
    mean = torch.tensor([100., 110., 120.]).view(1, 3, 1, 1)
    std = torch.tensor([50., 55., 60.]).view(1, 3, 1, 1)
    rs_params = np.stack([s.colour_params for s in
                          data['data_samples']['rs']])
    for v in range(2):
        rgb = data['inputs']['rs'][v].flip(1).float()
        expected = (apply_colour(rgb, torch.from_numpy(rs_params[:, v])) -
                    mean) / std
        torch.testing.assert_close(out['rs'][v], expected)
    nat_params = np.stack([s.colour_params[0] for s in
                           data['data_samples']['nat']])
    expected = (apply_colour(data['inputs']['nat'].flip(1).float(),
                             torch.from_numpy(nat_params)) - mean) / std
    torch.testing.assert_close(out['nat'], expected)


def test_preprocessor_applies_the_stage_in_training_only():
    data = _batch(2, 2, colour=True)
    pre = _preprocessor()
    plain = pre(_batch(2, 2, colour=False), True)['inputs']['nat']
    torch.testing.assert_close(pre(data, False)['inputs']['nat'], plain)
    assert not torch.allclose(pre(data, True)['inputs']['nat'], plain)


def test_preprocessor_without_params_is_the_cpu_path():
    pre = _preprocessor()
    data = _batch(2, 2, colour=False)
    out = pre(data, True)
    expected = (data['inputs']['nat'].flip(1).float() - torch.tensor(
        [100., 110., 120.]).view(1, 3, 1, 1)) / torch.tensor(
            [50., 55., 60.]).view(1, 3, 1, 1)
    torch.testing.assert_close(out['inputs']['nat'], expected)
    # the per-sample DataSamples stay where they are; labels are one tensor
    assert out['data_samples']['nat'] is data['data_samples']['nat']
    assert torch.equal(out['data_samples']['nat_labels'], torch.ones(2).long())


def test_preprocessor_step_has_no_sync_with_the_stage_on():
    pre = _preprocessor(channels_last=True)
    data = _batch(2, 2, colour=True)
    assert count_sync_ops(lambda: pre(data, True)) == {}


def test_mixed_or_bgr_batches_are_errors():
    data = _batch(2, 2, colour=True)
    del data['data_samples']['nat'][0].colour_params
    with pytest.raises(ValueError, match='DeviceColorAugment in every'):
        _preprocessor()(data, True)
    data = _batch(2, 2, colour=True)
    with pytest.raises(ValueError, match='to_rgb=True'):
        MODELS.build(dict(type='DualStreamDataPreprocessor',
                          mean=[0., 0., 0.], std=[1., 1., 1.]))(data, True)


def test_hwc_batches_are_viewed_as_nchw():
    """The fused loader's tensor output stacks to N x H x W x 3: the same
    result as the N x 3 x H x W batch, channels_last on request."""
    nchw = _batch(2, 3, colour=True)
    hwc = dict(nchw, inputs=dict(
        rs=[v.permute(0, 2, 3, 1).contiguous() for v in nchw['inputs']['rs']],
        nat=nchw['inputs']['nat'].permute(0, 2, 3, 1).contiguous()))
    for channels_last in (False, True):
        pre = _preprocessor(channels_last=channels_last)
        a, b = pre(nchw, True)['inputs'], pre(hwc, True)['inputs']
        for x, y in zip([*a['rs'], a['nat']], [*b['rs'], b['nat']]):
            torch.testing.assert_close(x, y)
            fmt = torch.channels_last if channels_last else \
                torch.contiguous_format
            assert y.is_contiguous(memory_format=fmt)
