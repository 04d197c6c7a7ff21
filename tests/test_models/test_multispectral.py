"""13-band (Sentinel-2-like) RS stream: GeRSP trains, exports, and RGB
weights inflate to it. The TIFFs are written by the test."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.models import ResNet

from mmgersp.apis.export import export_backbone
from mmgersp.utils import set_data_roots
from tests.conftest import REPO, load_tool, tiny_gersp_cfg

inflate_first_conv = load_tool(
    'model_converters/inflate_first_conv.py').inflate_first_conv

BANDS = 13
RGB_BANDS = (3, 2, 1)  # Sentinel-2 B4, B3, B2


@pytest.fixture()
def s2_root(tmp_path):
    import tifffile
    rng = np.random.default_rng(0)
    root = tmp_path / 's2'
    root.mkdir()
    for i in range(8):
        # band-first uint16 reflectance x 10000, as Sentinel-2 products
        tifffile.imwrite(root / f'tile_{i}.tif',
                         rng.integers(0, 10000, (BANDS, 40, 48), np.uint16))
    return str(root)


def multispectral_cfg(aid, cifar, s2_root, work):
    cfg = tiny_gersp_cfg(aid, cifar, work, max_iters=2)
    set_data_roots(cfg, rs_root=s2_root)
    view = [dict(type='RandomResizedCrop', scale=32, backend='cv2'),
            dict(type='RandomFlip', prob=0.5)]
    cfg.train_dataloader.dataset.datasets[0].pipeline = [
        dict(type='LoadMultiBandImage', num_bands=BANDS),
        dict(type='MultiView', num_views=2, transforms=[view]),
        dict(type='PackInputs', meta_keys=['img_path']),
    ]
    cfg.model.backbone.in_channels = BANDS
    cfg.model.data_preprocessor = dict(
        type='DualStreamDataPreprocessor',
        mean=[5000.0] * BANDS, std=[2900.0] * BANDS, to_rgb=True,
        nat_mean=[123.675, 116.28, 103.53], nat_std=[58.395, 57.12, 57.375],
        nat_bands=RGB_BANDS)
    return cfg


def test_gersp_on_13_bands_exports_a_13_band_backbone(
        aid_root, cifar_train_root, s2_root, tmp_path):
    cfg = multispectral_cfg(aid_root, cifar_train_root, s2_root,
                            str(tmp_path / 'w'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    batch = runner.model.data_preprocessor(
        next(iter(runner.train_dataloader)), True)
    q, k = batch['inputs']['rs']
    nat = batch['inputs']['nat']
    assert q.shape[1] == k.shape[1] == nat.shape[1] == BANDS
    # natural RGB sits in the RGB bands; all other bands are the mean (0)
    others = [b for b in range(BANDS) if b not in RGB_BANDS]
    assert torch.count_nonzero(nat[:, others]) == 0
    assert nat[:, list(RGB_BANDS)].abs().sum() > 0
    assert abs(float(q.mean())) < 0.5  # per-band normalised reflectance
    out = export_backbone(str(tmp_path / 'w' / 'iter_2.pth'),
                          str(tmp_path / 's2_backbone.pth'))
    state = torch.load(out, weights_only=True)['state_dict']
    assert state['backbone.conv1.weight'].shape[1] == BANDS
    resnet = ResNet(depth=18, in_channels=BANDS)
    resnet.load_state_dict({k[9:]: v for k, v in state.items()}, strict=True)


def test_band_count_mismatch_names_the_file(s2_root):
    from mmgersp.datasets import LoadMultiBandImage
    with pytest.raises(ValueError, match=r'tile_0.tif: 13 bands, expected 4'):
        LoadMultiBandImage(num_bands=4)(
            dict(img_path=osp.join(s2_root, 'tile_0.tif')))


def test_inflated_rgb_weights_respond_like_rgb(tmp_path):
    torch.manual_seed(0)
    rgb = ResNet(depth=18)
    state = {f'backbone.{k}': v for k, v in rgb.state_dict().items()}
    src = tmp_path / 'rgb.pth'
    torch.save(dict(state_dict=state, meta=dict(source='test')), src)
    dst = tmp_path / 's2.pth'
    proc = subprocess.run(
        [sys.executable, 'tools/model_converters/inflate_first_conv.py',
         str(src), str(dst), '--in-channels', str(BANDS), '--rgb-bands',
         *map(str, RGB_BANDS)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    inflated = torch.load(dst, weights_only=True)
    assert inflated['meta']['in_channels'] == BANDS
    s2 = ResNet(depth=18, in_channels=BANDS)
    s2.load_state_dict(
        {k[9:]: v for k, v in inflated['state_dict'].items()}, strict=True)
    x_rgb = torch.randn(2, 3, 16, 16)
    x_s2 = torch.zeros(2, BANDS, 16, 16)
    x_s2[:, list(RGB_BANDS)] = x_rgb
    torch.testing.assert_close(s2.conv1(x_s2),
                               rgb.conv1(x_rgb) * 3 / BANDS)
    with pytest.raises(ValueError, match='rgb_bands'):
        inflate_first_conv(state, 4, rgb_bands=(0, 1, 9))
