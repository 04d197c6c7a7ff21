"""Same augmentation, proven: the CPU torchvision pipeline vs the device path.

Many draws from each path (fixed seeds: the test is deterministic); what
each op does -- brightness/contrast/saturation factors, hue shift, the order
of the four jitter ops, grayscale and flip rates, crop scale and aspect
ratio -- is compared between the paths and with the distribution torchvision
documents, within sampling error (two-sample KS and chi-square tests at
p > 0.001, binomial bounds of 4 standard errors). A shifted range (e.g. hue
0.5 instead of 0.4) or a per-batch op order fails them.
"""
import math
import os.path as osp
from collections import Counter
from itertools import permutations

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose
from scipy import stats

from mmgersp.datasets.transforms.colour import (BRIGHTNESS, CONTRAST, FLIP,
                                                GRAY, HUE, ORDER, SATURATION)
from mmgersp.models.data_preprocessors.batch_augment import apply_colour
from tests.conftest import REPO

N = 1200
DATASETS = osp.join(REPO, 'configs', '_base_', 'datasets')
PERMS = list(permutations(range(4)))


def _pipeline(config: str, size: int) -> Compose:
    cfg = Config.fromfile(osp.join(DATASETS, config))
    pipeline = cfg.natural_pipeline
    pipeline[0].scale = size
    return Compose(pipeline)


@pytest.fixture(scope='module')
def probe(tmp_path_factory) -> str:
    y, x = np.mgrid[0:48, 0:64].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 7), 128 + 100 * np.cos(y / 5),
                    128 + 100 * np.sin((x + y) / 9)], -1).astype(np.uint8)
    path = str(tmp_path_factory.mktemp('probe') / 'probe.png')
    cv2.imwrite(path, img)
    return path


@pytest.fixture(scope='module')
def cpu_draws(probe):
    """What torchvision did in the CPU pipeline, recorded by spies that
    call through to the real functions."""
    pipeline = _pipeline('millionaid_in1k_dualstream_cpu-colour.py', 16)
    rec = dict(jitter=[], gray=0, flip=0)
    real = (T.ColorJitter.get_params, F.rgb_to_grayscale, F.hflip)

    def get_params(*a):
        out = real[0](*a)
        rec['jitter'].append([out[0].tolist()] + [float(v) for v in out[1:]])
        return out

    def gray(*a, **k):
        rec['gray'] += 1
        return real[1](*a, **k)

    def flip(*a, **k):
        rec['flip'] += 1
        return real[2](*a, **k)

    mp = pytest.MonkeyPatch()
    mp.setattr(T.ColorJitter, 'get_params', staticmethod(get_params))
    mp.setattr(F, 'rgb_to_grayscale', gray)
    mp.setattr(F, 'hflip', flip)
    try:
        np.random.seed(1)
        torch.manual_seed(1)
        gray_out = 0
        for _ in range(N):
            img = pipeline(dict(img_path=probe))['inputs']
            gray_out += bool((img[0] == img[1]).all() and
                             (img[1] == img[2]).all())
    finally:
        mp.undo()
    assert len(rec['jitter']) == N
    return dict(
        order=[tuple(j[0]) for j in rec['jitter']],
        factors=np.array([j[1:] for j in rec['jitter']]),
        gray=rec['gray'], flip=rec['flip'], gray_out=gray_out)


@pytest.fixture(scope='module')
def device_draws(probe):
    """Parameters drawn in the device-path loader, applied by the stage."""
    pipeline = _pipeline('millionaid_in1k_dualstream.py', 16)
    np.random.seed(2)
    torch.manual_seed(2)
    samples = [pipeline(dict(img_path=probe)) for _ in range(N)]
    p = torch.from_numpy(np.concatenate(
        [s['data_samples'].colour_params for s in samples]))
    x = torch.stack([s['inputs'] for s in samples]).permute(0, 3, 1, 2)
    x = x.flip(1).float()  # HWC BGR -> NCHW RGB, as the preprocessor
    out = apply_colour(x, p)
    gray_out = ((out[:, 0] == out[:, 1]) & (out[:, 1] == out[:, 2])).flatten(
        1).all(1)
    return dict(order=[tuple(int(v) for v in r) for r in p[:, ORDER]],
                factors=p[:, [BRIGHTNESS, CONTRAST, SATURATION, HUE]].numpy(),
                gray=int(p[:, GRAY].sum()), flip=int(p[:, FLIP].sum()),
                gray_out=int(gray_out.sum()))


@pytest.mark.parametrize('col, lo, hi', [(0, 0.6, 1.4), (1, 0.6, 1.4),
                                         (2, 0.6, 1.4), (3, -0.4, 0.4)])
def test_jitter_factors(cpu_draws, device_draws, col, lo, hi):
    a, b = cpu_draws['factors'][:, col], device_draws['factors'][:, col]
    assert stats.ks_2samp(a, b).pvalue > 1e-3
    for x in (a, b):
        assert lo <= x.min() and x.max() <= hi
        assert stats.kstest(x, stats.uniform(lo, hi - lo).cdf).pvalue > 1e-3


def test_order_of_the_four_ops_per_image(cpu_draws, device_draws):
    counts = [Counter(d['order']) for d in (cpu_draws, device_draws)]
    table = np.array([[c[p] for p in PERMS] for c in counts])
    assert table.sum() == 2 * N
    assert stats.chi2_contingency(table).pvalue > 1e-3
    for row in table:  # each of the 24 orders equally likely
        assert stats.chisquare(row).pvalue > 1e-3


@pytest.mark.parametrize('key, p', [('gray', 0.2), ('flip', 0.5)])
def test_grayscale_and_flip_rates(cpu_draws, device_draws, key, p):
    bound = 4 * math.sqrt(p * (1 - p) / N)
    for d in (cpu_draws, device_draws):
        assert abs(d[key] / N - p) < bound, (key, d[key])


def test_grayscale_is_what_the_output_shows(cpu_draws, device_draws):
    """Grayscale runs first, so an image ends grey exactly when it was
    drawn (jitter keeps a grey image grey, never greys a colourful one)."""
    for d in (cpu_draws, device_draws):
        assert d['gray_out'] == d['gray']


def test_crop_scale_and_aspect_ratio_as_random_resized_crop():
    """Fused loader vs the unfused LoadImageFromFile + RandomResizedCrop."""
    from mmgersp.datasets.transforms import LoadImageRandomResizedCrop
    from mmpretrain.datasets.transforms import RandomResizedCrop
    w, h = 500, 375
    fused = LoadImageRandomResizedCrop(scale=224, crop_ratio_range=(0.2, 1.))
    rrc = RandomResizedCrop(scale=224, crop_ratio_range=(0.2, 1.))
    np.random.seed(3)
    a = np.array([fused.draw_boxes(w, h)[0][2:] for _ in range(N)])
    np.random.seed(4)
    img = np.zeros((h, w, 1), np.uint8)
    b = np.array([rrc.rand_crop_params(img)[:1:-1] for _ in range(N)])
    for fn in (lambda x: x[:, 0] * x[:, 1] / (w * h),  # area fraction
               lambda x: np.log(x[:, 0] / x[:, 1])):  # log aspect ratio
        assert stats.ks_2samp(fn(a), fn(b)).pvalue > 1e-3
    assert (a[:, 0] * a[:, 1] / (w * h)).min() >= 0.2 - 0.01
