"""tools/analysis_tools/eval_features.py on the AID sample, as users run it."""
import json
import os
import subprocess
import sys

from mmgersp.evaluation import deterministic_split, scan_class_folders
from tests.conftest import REPO
from tests.test_benchmarks.helpers import load_tool

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
