"""publish_model.py on a real GeRSP training checkpoint; the model index."""
import glob
import hashlib
import json
import os.path as osp
import re
import subprocess
import sys

import torch

from mmgersp.evaluation import load_backbone, normalization_from_meta
from mmgersp.apis.export import extract_backbone
from mmgersp.utils import load_checkpoint_safely
from tests.conftest import DEMO_CONFIG, REPO, load_tool

TOOL = 'tools/model_converters/publish_model.py'


def publish(*args):
    proc = subprocess.run([sys.executable, TOOL, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()


def test_publish_names_hashes_and_records_meta(gersp_r50_backbone, tmp_path):
    # the tiny ResNet-50 GeRSP run behind the fixture: 2 iterations, 32 px
    ckpt = osp.join(osp.dirname(gersp_r50_backbone), 'iter_2.pth')
    printed = publish(ckpt, str(tmp_path), '--name', 'gersp_r50_tiny',
                      '--date', '20240115')
    path = printed[-1]
    name = osp.basename(path)
    m = re.fullmatch(r'gersp_r50_tiny_20240115-([0-9a-f]{8})\.pth', name)
    assert m, name
    digest = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    assert digest.startswith(m.group(1))
    assert f'mmpretrain   sha256 {digest}' in printed
    stem = path[:-len('.pth')]
    # the file, its sidecar and model card; no temporary left
    assert sorted(glob.glob(str(tmp_path / '*'))) == [
        stem + '.json', stem + '.md', path]
    side = json.load(open(stem + '.json'))
    assert side['sha256'] == digest and side['format'] == 'mmpretrain'

    published = torch.load(path, weights_only=True)
    state, meta = published['state_dict'], published['meta']
    expected = extract_backbone(load_checkpoint_safely(ckpt))
    assert list(state) == list(expected)
    for k, v in expected.items():
        assert torch.equal(state[k], v)

    assert meta['normalization'] == dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        channel_order='RGB', to_rgb=True, value_range='0-255')
    assert meta['input_size'] == 32
    assert meta['backbone_cfg']['type'] == 'ResNet'
    assert meta['backbone_cfg']['depth'] == 50
    assert meta['bands'] == ['R', 'G', 'B'] and meta['method'] == 'GeRSP'
    assert meta['normalization_0_1'] == dict(mean=[0.485, 0.456, 0.406],
                                             std=[0.229, 0.224, 0.225])
    assert {k: side[k] for k in ('backbone_cfg', 'training', 'source')} == \
        {k: meta[k] for k in ('backbone_cfg', 'training', 'source')}
    training = meta['training']
    assert training['loop'] == 'IterBasedTrainLoop'
    assert training['max_iters'] == training['iter'] == 2
    assert training['batch_per_process'] == dict(n_rs=4, n_nat=4)
    assert meta['config']['name'] == 'gersp_resnet18_1xb16-demo'
    assert 'depth=50' in meta['config']['text']
    assert meta['source']['sha256'] == hashlib.sha256(
        open(ckpt, 'rb').read()).hexdigest()

    # downstream: loads strictly into a plain ResNet-50 ...
    from mmpretrain.models import ResNet
    result = ResNet(depth=50).load_state_dict(
        {k[len('backbone.'):]: v for k, v in state.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # ... and the evaluation tools take the normalisation from the file
    _, info = load_backbone(path)
    assert normalization_from_meta(info['meta']) == dict(
        mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
        channel_order='RGB')


def test_publish_with_explicit_config(gersp_r50_backbone, tmp_path):
    ckpt = osp.join(osp.dirname(gersp_r50_backbone), 'iter_2.pth')
    cfg = tmp_path / 'bgr_cfg.py'
    cfg.write_text(f'_base_ = {DEMO_CONFIG!r}\n'
                   'model = dict(data_preprocessor=dict(to_rgb=False, '
                   'mean=[1., 2., 3.], std=[4., 5., 6.]))\n')
    # in-process this time (saves a Python start-up)
    tool = load_tool('model_converters/publish_model.py')
    path = tool.main([ckpt, str(tmp_path / 'out'), '--config', str(cfg),
                      '--input-size', '224'])
    assert re.fullmatch(r'bgr_cfg_\d{8}-[0-9a-f]{8}\.pth', osp.basename(path))
    meta = torch.load(path, weights_only=True)['meta']
    assert meta['input_size'] == 224 and meta['config']['path'] == str(cfg)
    assert normalization_from_meta(meta) == dict(
        mean=(1.0, 2.0, 3.0), std=(4.0, 5.0, 6.0), channel_order='BGR')


def test_model_index_imports_every_metafile():
    import modelindex
    index = modelindex.load(osp.join(REPO, 'model-index.yml'))
    assert index.check(silent=True) == []
    files = {osp.normpath(osp.join(REPO, m.filepath)) for m in index.models}
    on_disk = {osp.normpath(p) for p in glob.glob(
        osp.join(REPO, 'configs', '**', 'metafile.yml'), recursive=True)}
    assert on_disk <= files  # every metafile is imported (and has models)
    names = [m.name for m in index.models]
    assert len(names) == len(set(names))
    for model in index.models:
        assert osp.isfile(osp.join(REPO, model.config)), model.config
    ours = [m for m in index.models if m.filepath.endswith(
        osp.join('configs', 'gersp', 'metafile.yml'))]
    assert {osp.basename(m.config) for m in ours} == {
        osp.basename(p) for p in glob.glob(
            osp.join(REPO, 'configs', 'gersp', '*.py'))}
