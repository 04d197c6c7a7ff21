"""tools/analysis_tools/eval_features.py on the AID sample, as users run it."""
import json
import os
import subprocess
import sys

import torch

from mmgersp.evaluation import deterministic_split, scan_class_folders
from tests.conftest import REPO, load_tool

TOOL = 'tools/analysis_tools/eval_features.py'
CHANCE = 100 / 30


def run_tool(*args):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    proc = subprocess.run([sys.executable, TOOL, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_random_resnet18_all_aid_images(aid_root, tmp_path):
    out = tmp_path / 'random.json'
    printed = run_tool('random', '--depth', '18', '--data', aid_root,
                       '--img-size', '64', '--num-workers', '0', '--out',
                       str(out), '--dump-split', str(tmp_path / 'split'))
    assert '300/300' in printed  # the progress bar ran to the end
    res = json.loads(out.read_text())
    assert (res['num_train'], res['num_test'], res['num_classes']) == (300,
                                                                     300, 30)
    assert res['feat_dim'] == 512 and res['k'] == 20
    assert res['temperature'] == 0.07
    # random conv features still carry colour/texture: well above chance,
    # which also shows that images and labels stay paired
    for key in ('knn_top1', 'linear_top1'):
        assert 2 * CHANCE < res[key] <= 100, res
        assert f'{res[key]:.2f}' in printed

    # the split written to disk is the deterministic one
    _, samples = scan_class_folders(aid_root)
    train, test = deterministic_split(samples, 0.5, 0)
    lines = (tmp_path / 'split' / 'train.txt').read_text().splitlines()
    assert lines == [f'{p} {l}' for p, l in train]
    assert len((tmp_path / 'split' / 'test.txt').read_text().splitlines()) \
        == len(test) == 300
    # ... and the one the split tool writes for the same seed and ratio
    split_tool = load_tool('dataset_converters/scene_cls_split.py')
    assert split_tool.main([aid_root, '--train-ratio', '0.5', '--seed', '0',
                            '--out-dir', str(tmp_path / 'scene')]) == 0
    for name in ('classes.txt', 'train.txt', 'test.txt'):
        assert (tmp_path / 'scene' / name).read_bytes() == \
            (tmp_path / 'split' / name).read_bytes(), name


def test_exported_gersp_resnet50(aid_root, gersp_r50_backbone, tmp_path):
    out = tmp_path / 'gersp.json'
    printed = run_tool(gersp_r50_backbone, '--data', aid_root, '--img-size',
                       '48', '--max-per-class', '10', '--train-ratio', '0.6',
                       '--num-workers', '0', '--no-progress', '--out',
                       str(out))
    res = json.loads(out.read_text())
    assert res['backbone']['depth'] == 50 and res['feat_dim'] == 2048
    assert (res['num_train'], res['num_test']) == (180, 120)
    assert 'ResNet-50' in printed
    for key in ('knn_top1', 'linear_top1'):
        assert CHANCE < res[key] <= 100, res


def small_convnext_file(path, meta: bool = True):
    """A ConvNeXt (one block per stage) in the exported format, with the
    training config's backbone in ``meta`` as the export tool writes it."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from mmgersp.apis.export import write_backbone
    cfg = dict(type='ConvNeXt', out_indices=(0, 1, 2, 3),
               arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
               init_cfg=dict(type='TruncNormal', layer='Conv2d', std=.02))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        net = MODELS.build(cfg)
    state = {f'backbone.{k}': v for k, v in net.state_dict().items()}
    write_backbone(state, dict(backbone_cfg=cfg) if meta else {}, str(path))
    net.eval()  # (ConvNeXt.train returns None)
    return net, str(path)


def test_non_resnet_backbone_is_built_from_its_meta(aid_root, tmp_path):
    """An exported ConvNeXt is rebuilt from meta['backbone_cfg'] (its pooled
    vectors are the features); without that config the file is refused, not
    guessed from its tensor names."""
    import pytest

    from mmgersp.evaluation import load_backbone, pooled_features
    net, path = small_convnext_file(tmp_path / 'convnext.pth')
    backbone, info = load_backbone(path)
    assert info['cfg']['type'] == 'ConvNeXt' and 'init_cfg' not in info['cfg']
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(pooled_features(backbone, x),
                           pooled_features(net, x))
    res = load_tool('analysis_tools/eval_features.py').main([
        path, '--data', aid_root, '--img-size', '32', '--max-per-class', '4',
        '--num-workers', '0', '--no-progress'])
    assert res['feat_dim'] == 64 and res['backbone']['type'] == 'ConvNeXt'
    assert 0 <= res['knn_top1'] <= 100 and 0 <= res['linear_top1'] <= 100

    _, bare = small_convnext_file(tmp_path / 'bare.pth', meta=False)
    with pytest.raises(ValueError, match="not a ResNet.*'backbone_cfg'"):
        load_backbone(bare)


def test_random_backbone_of_another_arch():
    from mmgersp.evaluation import load_backbone, pooled_features
    backbone, info = load_backbone('random', arch='convnext-tiny')
    assert info['cfg']['type'] == 'ConvNeXt'
    with torch.no_grad():
        assert pooled_features(backbone, torch.zeros(1, 3, 32, 32)).shape \
            == (1, 768)
