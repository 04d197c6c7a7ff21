"""tools/analysis_tools/check_backbone_load.py: every benchmark config loads
the exported GeRSP backbone completely; broken checkpoints are reported."""
import glob
import os.path as osp
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO, load_tool

TOOL = 'analysis_tools/check_backbone_load.py'
CONFIGS = sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', 'benchmarks', '*', '*.py')))
N_TENSORS = 318  # ResNet-50 state_dict: weights, biases, BN buffers
# configs/gersp recipe of the non-ResNet backbones, by benchmark config name
RECIPES = {
    '_gersp-swin-t_': 'gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py',
    '_gersp-convnext-t_':
    'gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py',
}


def test_there_are_configs_to_check():
    libs = {c.split('/')[2] for c in CONFIGS}
    assert libs == {'mmpretrain', 'mmdet', 'mmrotate', 'mmseg'}
    assert len(CONFIGS) >= 24
    for tag in RECIPES:  # one config per task family and backbone
        assert len([c for c in CONFIGS if tag in c]) == 5, tag


@pytest.fixture(scope='module')
def recipe_exports(tmp_path_factory) -> dict:
    """``tag -> file``: the backbone of each pre-training recipe, as built
    for pre-training (untrained), written in the exported format with its
    config in ``meta`` (the trained exports: tests/test_benchmarks)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from mmgersp.apis.export import write_backbone
    out = {}
    for tag, recipe in RECIPES.items():
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'gersp', recipe))
        # the recipe's scope, whichever runner ran last in this process
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            backbone = MODELS.build(cfg.model.backbone)
        out[tag] = write_backbone(
            {f'backbone.{k}': v for k, v in backbone.state_dict().items()},
            dict(backbone_cfg=cfg.model.backbone.to_dict()),
            str(tmp_path_factory.mktemp('recipes') / f'{tag[1:-1]}.pth'))
    return out


@pytest.mark.parametrize('config', CONFIGS)
def test_every_config_loads_every_backbone_tensor(config, request, capsys):
    tag = next((t for t in RECIPES if t in config), None)
    ckpt = request.getfixturevalue('recipe_exports')[tag] if tag else \
        request.getfixturevalue('gersp_r50_backbone')
    n_tensors = len(torch.load(ckpt, weights_only=True)['state_dict'])
    assert tag or n_tensors == N_TENSORS
    code = load_tool(TOOL).main([osp.join(REPO, config), '--checkpoint', ckpt])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f'loaded:           {n_tensors} / {n_tensors}' in out
    for kind in ('missing:          0', 'unexpected:       0',
                 'shape mismatches: 0', 'not applied:      0'):
        assert kind in out, out


def test_cfg_options_select_the_checkpoint_too(gersp_r50_backbone, capsys):
    code = load_tool(TOOL).main([
        osp.join(REPO, CONFIGS[0]), '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={gersp_r50_backbone}'
    ])
    assert code == 0
    assert gersp_r50_backbone in capsys.readouterr().out


def run_cli(*args):
    proc = subprocess.run([sys.executable, osp.join(REPO, 'tools', TOOL),
                           *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_cli_reports_missing_unexpected_and_mismatched_keys(
        gersp_r50_backbone, tmp_path):
    ckpt = torch.load(gersp_r50_backbone, weights_only=True)
    state = ckpt['state_dict']
    del state['backbone.layer4.2.conv3.weight']
    del state['backbone.layer4.2.bn3.running_var']
    state['backbone.fc.weight'] = torch.zeros(10, 2048)
    state['backbone.conv1.weight'] = torch.zeros(64, 3, 3, 3)
    broken = str(tmp_path / 'broken.pth')
    torch.save(ckpt, broken)
    config = ('configs/benchmarks/mmdet/'
              'faster-rcnn_gersp-r50_fpn_4xb1-24e_dior.py')
    code, out = run_cli(config, '--checkpoint', broken)
    assert code == 1, out
    assert 'missing:          2' in out
    assert 'unexpected:       1' in out and '  fc.weight' in out
    assert 'shape mismatches: 1' in out
    assert 'conv1.weight: (64, 3, 7, 7) vs (64, 3, 3, 3)' in out
    assert '  layer4.2.conv3.weight' in out
    assert 'FAILED' in out


def test_official_checkpoint_needs_conversion_then_loads(tmp_path, capsys):
    import torchvision
    sd = torchvision.models.resnet50(weights=None).state_dict()
    official = str(tmp_path / 'moco_official.pth.tar')
    torch.save({'state_dict': {f'module.encoder_q.{k}': v
                               for k, v in sd.items()}}, official)
    config = osp.join(REPO, 'configs', 'benchmarks', 'mmseg',
                      'upernet_gersp-r50_4xb4-80k_loveda-512x512.py')
    check = load_tool(TOOL)
    assert check.main([config, '--checkpoint', official]) == 1
    assert 'convert_official.py' in capsys.readouterr().out
    converted = str(tmp_path / 'converted.pth')
    assert load_tool('model_converters/convert_official.py').main(
        [official, converted]) == 0
    assert check.main([config, '--checkpoint', converted]) == 0
    assert 'missing:          0' in capsys.readouterr().out
