"""Exact resume with the device colour stage on (the paper config's loader).

The colour parameters are drawn in the loader from the per-draw seed
(sampler seed, epoch, position), so a resumed run applies the same ones.
"""
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from tests.conftest import REPO
from tests.test_engine.test_hooks.test_exact_resume import (
    SPLIT, TOTAL, assert_resumed_like_straight, make_cfg, train)

DEVICE_DATA = osp.join(REPO, 'configs', '_base_', 'datasets',
                       'millionaid_in1k_dualstream.py')


def device_cfg(aid, cifar, tmp_path, work, loop, workers):
    cfg = make_cfg(aid, cifar, tmp_path, work, loop, workers)
    base = Config.fromfile(DEVICE_DATA)
    for ds, pipeline in zip(cfg.train_dataloader.dataset.datasets,
                            (base.rs_pipeline, base.natural_pipeline)):
        pipeline[0].scale = 32
        ds.pipeline = pipeline
    return cfg


@pytest.mark.parametrize('loop,workers', [('iter', 2)])
def test_resume_continues_exactly_with_device_colour(
        aid_root, cifar_train_root, tmp_path, loop, workers):
    straight_dir, resumed_dir = tmp_path / 'straight', tmp_path / 'resumed'
    runner, straight = train(device_cfg(aid_root, cifar_train_root, tmp_path,
                                        straight_dir, loop, workers))
    assert [b['iter'] for b in straight] == list(range(TOTAL))
    # the stage is on: samples carry their colour parameters, drawn from
    # the per-draw seed (two views of an RS sample differ)
    dataset = runner.train_dataloader.dataset
    params = [dataset[(0, (0, 0, pos))]['data_samples'].colour_params
              for pos in (0, 0, 1)]
    assert params[0].shape == (2, 10)
    assert np.array_equal(params[0], params[1])
    assert not np.array_equal(params[0], params[2])
    assert not np.array_equal(params[0][0], params[0][1])
    _, resumed = train(
        device_cfg(aid_root, cifar_train_root, tmp_path, resumed_dir, loop,
                   workers),
        resume_from=str(straight_dir / f'iter_{SPLIT}.pth'))
    # same samples and loader pixels; the same colour parameters, or the
    # weights (trained on the device stage's output) would differ
    assert_resumed_like_straight(straight, resumed, straight_dir, resumed_dir)
