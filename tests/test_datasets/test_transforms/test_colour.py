"""The colour augmentation's one owner: defaults, parameter draw, loader
transform (mmgersp.datasets.transforms.colour)."""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmgersp.datasets.transforms.colour import (COLOUR_DEFAULTS, FLIP, GRAY,
                                                HUE, NUM_PARAMS, ORDER,
                                                DeviceColorAugment,
                                                draw_colour_params)
from tests.conftest import DEMO_CONFIG, REPO

DATASETS = osp.join(REPO, 'configs', '_base_', 'datasets')
# The first row drawn from RandomState(0), whose uniforms u are 0.5488135,
# 0.71518937, 0.60276338, 0.54488318, 0.4236548, 0.64589411, 0.43758721,
# 0.891773, 0.96366276, 0.38344152: with the defaults, factors 0.6 + 0.8 u,
# hue -0.4 + 0.8 u, the ranks of u[4:8] as the op order, grayscale
# u[8] < 0.2, flip u[9] < 0.5.
ROW0 = [1.0390508, 1.1721515, 1.0822107, 0.03590654, 0, 2, 1, 3, 0, 1]


def test_the_defaults_are_gersp_and_the_configs_read_the_same():
    assert COLOUR_DEFAULTS == dict(brightness=0.4, contrast=0.4,
                                   saturation=0.4, hue=0.4,
                                   grayscale_prob=0.2, flip_prob=0.5)
    base = Config.fromfile(osp.join(DATASETS, 'millionaid_in1k_dualstream.py'))
    assert base.colour_args == COLOUR_DEFAULTS
    assert base.colour == dict(type='DeviceColorAugment', **COLOUR_DEFAULTS)
    cpu = Config.fromfile(
        osp.join(DATASETS, 'millionaid_in1k_dualstream_cpu-colour.py'))
    _, gray, jitter, flip, _ = cpu.view_colour
    assert gray == dict(type='torchvision/RandomGrayscale', p=0.2)
    assert jitter == dict(type='torchvision/ColorJitter', brightness=0.4,
                          contrast=0.4, saturation=0.4, hue=0.4)
    assert flip == dict(type='torchvision/RandomHorizontalFlip', p=0.5)
    assert Config.fromfile(DEMO_CONFIG).view_colour == cpu.view_colour


def test_draw_exact_values():
    rng = np.random.RandomState(0)
    params = draw_colour_params(2, rng=rng)
    assert params.shape == (2, NUM_PARAMS) and params.dtype == np.float32
    np.testing.assert_allclose(params[0], ROW0, rtol=0, atol=1e-6)
    assert sorted(params[1, ORDER]) == [0, 1, 2, 3]
    # the extremes: no jitter, always grayscale, never a flip
    fixed = draw_colour_params(
        3, rng=np.random.RandomState(1), brightness=0, contrast=0,
        saturation=0, hue=0, grayscale_prob=1, flip_prob=0)
    assert fixed[:, :HUE].tolist() == [[1, 1, 1]] * 3
    assert fixed[:, HUE].tolist() == [0] * 3
    assert fixed[:, GRAY].tolist() == [1] * 3
    assert fixed[:, FLIP].tolist() == [0] * 3


def test_bad_arguments_are_refused_at_build():
    with pytest.raises(ValueError, match=r'hue=0.6 must be in \[0, 0.5\]'):
        DeviceColorAugment(hue=0.6)
    with pytest.raises(ValueError, match='brightness=-1 must be >= 0'):
        DeviceColorAugment(brightness=-1)
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['hue_prob'"):
        DeviceColorAugment(hue_prob=0.1)


def test_transform_adds_one_row_per_view():
    aug = DeviceColorAugment(flip_prob=1.0)
    assert repr(aug) == (
        'DeviceColorAugment(brightness=0.4, contrast=0.4, saturation=0.4, '
        'hue=0.4, grayscale_prob=0.2, flip_prob=1.0)')
    img = np.zeros((4, 4, 3), np.uint8)
    np.random.seed(0)  # DualStreamDataset seeds NumPy per draw
    one = aug(dict(img=img))['colour_params']
    np.testing.assert_allclose(one[0, :FLIP], ROW0[:FLIP], rtol=0, atol=1e-6)
    assert one.shape == (1, NUM_PARAMS) and one[0, FLIP] == 1
    two = aug(dict(img=[img, img]))
    assert two['colour_params'].shape == (2, NUM_PARAMS)
    assert two['img'][0] is img  # pixels untouched: the device does them
