"""One GeRSP checkpoint, three export formats, the same features in each."""
import hashlib
import json
import os
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from mmgersp.apis.export import (ExportError, backbone_load_report,
                                 load_backbone_weights, read_backbone_weights,
                                 read_safetensors, safetensors_bytes)
from mmgersp.utils.checkpoint import read_checkpoint, scope_checkpoint_loads
from tests.conftest import DEMO_CONFIG, load_tool, tiny_gersp_cfg

EXPORT = 'model_converters/export_backbone.py'
NAME = 'gersp_resnet18_1xb16-demo'


def gersp_checkpoint(path: str, cfg: Config) -> str:
    """A training checkpoint of a GeRSP model with random weights and random
    BN statistics, in mmengine's layout (state_dict + meta with the config).
    """
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith('running_var'):
                tensor.uniform_(0.5, 2.0)
            elif tensor.is_floating_point():
                tensor.normal_(0, 0.1)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(cfg=cfg.pretty_text, iter=2, epoch=0, seed=0,
                              experiment_name=NAME + '_20260101_000000')),
               path)
    return path


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory) -> str:
    cfg = Config.fromfile(DEMO_CONFIG)  # ResNet-18, 64 px crops, RGB
    return gersp_checkpoint(
        str(tmp_path_factory.mktemp('ckpt') / 'iter_2.pth'), cfg)


def export(*argv):
    """The tool's ``main(argv)``; returns the printed paths."""
    return load_tool(EXPORT).main(list(argv))


@pytest.fixture(scope='module')
def exported(ckpt, tmp_path_factory) -> dict:
    out = str(tmp_path_factory.mktemp('exported') / 'zoo')
    paths = export(ckpt, out, '--format', 'mmpretrain', 'torchvision',
                   'timm')
    return dict(zip(['mmpretrain', 'torchvision', 'timm'], paths), out=out)


@pytest.fixture(scope='module')
def batch_and_reference(ckpt):
    """A fixed batch and the student backbone's pooled features on it."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(DEMO_CONFIG)
    model = MODELS.build(cfg.model)
    model.load_state_dict(torch.load(ckpt, weights_only=True)['state_dict'])
    backbone = model.backbone
    backbone.eval()  # mmpretrain's ResNet.train() returns None
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return x, backbone(x)[-1].mean(dim=(2, 3))


def sha(path: str) -> str:
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def test_names_sidecars_and_cards(exported, ckpt):
    names = sorted(os.listdir(exported['out']))
    tv, timm_dir = exported['torchvision'], exported['timm']
    mm = exported['mmpretrain']
    assert re.fullmatch(NAME + r'-[0-9a-f]{8}\.pth', osp.basename(mm))
    assert re.fullmatch(NAME + r'_torchvision-[0-9a-f]{8}\.pth',
                        osp.basename(tv))
    assert re.fullmatch(NAME + r'_timm-[0-9a-f]{8}', osp.basename(timm_dir))
    stems = [osp.basename(p).rsplit('.pth', 1)[0] for p in (mm, tv, timm_dir)]
    assert names == sorted([osp.basename(mm), osp.basename(tv),
                            osp.basename(timm_dir)] +
                           [s + e for s in stems for e in ('.json', '.md')])
    assert sorted(os.listdir(timm_dir)) == ['README.md', 'config.json',
                                            'model.safetensors']
    for path, weights in ((mm, mm), (tv, tv),
                          (timm_dir, osp.join(timm_dir,
                                              'model.safetensors'))):
        digest = sha(weights)
        assert osp.basename(path).endswith(digest[:8] + ('' if path ==
                                                         timm_dir else '.pth'))
        stem = path.rsplit('.pth', 1)[0]
        side = json.load(open(stem + '.json'))
        assert side['sha256'] == digest and side['file'] == osp.basename(path)
        assert side['method'] == 'GeRSP' and side['bands'] == ['R', 'G', 'B']
        assert side['normalization']['mean'] == [123.675, 116.28, 103.53]
        assert side['normalization_0_1'] == dict(
            mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
        assert side['input_size'] == 64 and side['training']['iter'] == 2
        assert side['backbone_cfg']['depth'] == 18
        assert side['source']['sha256'] == sha(ckpt)
        assert side['licence'] == 'Apache-2.0'
        assert re.fullmatch(r'[0-9a-f]{40}(-dirty)?|unknown',
                            side['mmgersp_commit'])
        card = open(stem + '.md').read()
        for text in (digest, '[R, G, B]', '[123.675, 116.28, 103.53]',
                     '[0.485, 0.456, 0.406]', side['mmgersp_commit'],
                     'Apache-2.0', '2 iterations', 'RSImageFolder'):
            assert text in card, text


def test_mmpretrain_meta_carries_backbone_cfg_and_normalization(exported):
    from mmgersp.evaluation import normalization_from_meta
    meta = torch.load(exported['mmpretrain'], weights_only=True)['meta']
    cfg = Config.fromfile(DEMO_CONFIG)
    assert meta['backbone_cfg'] == json.loads(json.dumps(
        dict(cfg.model.backbone)))
    assert normalization_from_meta(meta) == dict(
        mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375),
        channel_order='RGB')
    # the default (no --format) file has the same meta keys
    assert meta['prefix'] == 'backbone.'


def torchvision_model(path: str):
    import torchvision
    model = torchvision.models.resnet18()
    model.fc = torch.nn.Identity()  # the card's lines, strict=True
    model.load_state_dict(torch.load(path, weights_only=True), strict=True)
    return model


def mm_backbone(path: str, library: str = 'mmpretrain'):
    """The library's ResNet-18 initialised by init_cfg, as a config does."""
    if library == 'mmdet':
        from mmdet.models.backbones import ResNet
        net = ResNet(depth=18, out_indices=(3, ), init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix='backbone.'))
    else:
        from mmpretrain.models import ResNet
        net = ResNet(depth=18, out_indices=(3, ), init_cfg=dict(
            type='Pretrained', checkpoint=path, prefix='backbone.'))
    net.init_weights()
    state, _ = read_backbone_weights(path)
    assert backbone_load_report(net, state).ok
    return net


def test_every_framework_gives_the_same_pooled_features(
        exported, batch_and_reference):
    import timm
    x, reference = batch_and_reference
    timm_dir = exported['timm']
    models = {
        'torchvision': torchvision_model(exported['torchvision']),
        'timm local-dir': timm.create_model(f'local-dir:{timm_dir}',
                                            pretrained=True),
        'timm file overlay': timm.create_model(
            'resnet18', pretrained=True, num_classes=0,
            pretrained_cfg_overlay=dict(file=osp.join(
                timm_dir, 'model.safetensors'), num_classes=0)),
        'timm torchvision file': timm.create_model(
            'resnet18', pretrained=True, num_classes=0,
            pretrained_cfg_overlay=dict(file=exported['torchvision'],
                                        num_classes=0)),
        # a terratorch-style timm backbone: feature maps, no classifier
        'timm features_only': timm.create_model(
            'resnet18', pretrained=True, features_only=True,
            out_indices=(4, ), pretrained_cfg_overlay=dict(file=osp.join(
                timm_dir, 'model.safetensors'), num_classes=0)),
        'mmpretrain init_cfg': mm_backbone(exported['mmpretrain']),
    }
    try:
        import mmdet  # noqa: F401
    except ImportError:
        pass
    else:
        models['mmdet init_cfg'] = mm_backbone(exported['mmpretrain'],
                                               'mmdet')
    for name, model in models.items():
        model.eval()
        with torch.no_grad():
            out = model(x)
        if isinstance(out, (tuple, list)):
            out = out[-1].mean(dim=(2, 3))
        assert out.shape == reference.shape, name
        assert (out - reference).abs().max().item() <= 1e-5, name
    # timm reads the preprocessing from config.json: 0-1 scale, 64 px
    data_cfg = timm.data.resolve_data_config(
        {}, model=models['timm local-dir'])
    assert tuple(data_cfg['input_size']) == (3, 64, 64)
    assert [round(v, 6) for v in data_cfg['mean']] == [0.485, 0.456, 0.406]
    assert [round(v, 6) for v in data_cfg['std']] == [0.229, 0.224, 0.225]
    config = json.load(open(osp.join(timm_dir, 'config.json')))
    assert config['architecture'] == 'resnet18'
    assert config['num_classes'] == 0 and config['gersp']['method'] == 'GeRSP'


def test_own_safetensors_writer_matches_the_library(exported, tmp_path):
    from safetensors.torch import load, load_file
    weights = osp.join(exported['timm'], 'model.safetensors')
    theirs = load_file(weights)
    ours = read_safetensors(weights)
    assert list(ours) == list(theirs)
    for k, v in theirs.items():
        assert v.dtype == ours[k].dtype and torch.equal(v, ours[k]), k
    mixed = {'a': torch.arange(6, dtype=torch.int64).reshape(2, 3),
             'b': torch.tensor(3), 'c': torch.randn(2).to(torch.bfloat16),
             'd': torch.zeros(0, 4), 'e': torch.tensor([True, False])}
    back = load(safetensors_bytes(mixed, dict(format='pt')))
    for k, v in mixed.items():
        assert torch.equal(back[k], v), k


def broken_copies(exported, tmp_path):
    """The torchvision file and the timm folder, one tensor renamed in the
    first and one missing in the second."""
    import shutil
    state = torch.load(exported['torchvision'], weights_only=True)
    state['layer1.0.conv1.weightX'] = state.pop('layer1.0.conv1.weight')
    renamed = str(tmp_path / 'renamed.pth')
    torch.save(state, renamed)
    folder = str(tmp_path / 'timm_missing')
    shutil.copytree(exported['timm'], folder)
    weights = read_safetensors(osp.join(folder, 'model.safetensors'))
    del weights['layer4.1.bn2.running_mean']
    with open(osp.join(folder, 'model.safetensors'), 'wb') as f:
        f.write(safetensors_bytes(weights))
    mm = torch.load(exported['mmpretrain'], weights_only=True)
    mm['state_dict'].pop('backbone.layer4.1.bn2.running_mean')
    mm_missing = str(tmp_path / 'mm_missing.pth')
    torch.save(mm, mm_missing)
    return renamed, folder, mm_missing


def test_a_renamed_or_missing_tensor_fails_every_strict_path(exported,
                                                             tmp_path):
    import timm
    import torchvision
    from mmpretrain.models import ResNet
    renamed, folder, mm_missing = broken_copies(exported, tmp_path)
    model = torchvision.models.resnet18()
    model.fc = torch.nn.Identity()
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict:'
                       r' "layer1\.0\.conv1\.weight"'):
        model.load_state_dict(torch.load(renamed, weights_only=True))
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in '
                       r'state_dict: "layer1\.0\.conv1\.weightX"'):
        timm.create_model('resnet18', pretrained=True, num_classes=0,
                          pretrained_cfg_overlay=dict(file=renamed,
                                                      num_classes=0))
    with pytest.raises(RuntimeError, match=r'"layer4\.1\.bn2\.running_mean"'):
        timm.create_model(f'local-dir:{folder}', pretrained=True)
    for path, named in ((renamed, 'layer1.0.conv1.weight'),
                        (folder, 'layer4.1.bn2.running_mean'),
                        (mm_missing, 'layer4.1.bn2.running_mean')):
        with pytest.raises(ExportError, match=r'missing: ' + re.escape(named)):
            load_backbone_weights(ResNet(depth=18), path)
    # mmengine's init_cfg only warns; the load report names the tensor
    net = ResNet(depth=18, init_cfg=dict(type='Pretrained',
                                         checkpoint=mm_missing,
                                         prefix='backbone.'))
    net.init_weights()
    state, _ = read_backbone_weights(mm_missing)
    report = backbone_load_report(net, state)
    assert report.missing == ['layer4.1.bn2.running_mean']


def error_of(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as info:
        export(*argv)
    code = info.value.code
    return code if isinstance(code, str) else capsys.readouterr().err


def checkpoint_with(tmp_path, ckpt, old: str, new: str) -> str:
    """``ckpt`` with its stored config text edited (student only: small)."""
    data = torch.load(ckpt, weights_only=True)
    data['state_dict'] = {k: v for k, v in data['state_dict'].items()
                          if k.startswith('backbone.')}
    assert old in data['meta']['cfg']
    data['meta']['cfg'] = data['meta']['cfg'].replace(old, new)
    path = str(tmp_path / f'edited_{len(os.listdir(tmp_path))}.pth')
    torch.save(data, path)
    return path


def test_bad_input_is_one_line_and_leaves_nothing(ckpt, tmp_path, capsys):
    out = tmp_path / 'out'
    err = error_of(capsys, ckpt, str(out), '--format', 'onnx')
    assert "argument --format: invalid choice: 'onnx'" in err
    for kind, fmt in (('ResNetV1c', 'torchvision'),
                      ('SwinTransformer', 'timm')):
        edited = checkpoint_with(tmp_path, ckpt, "type='ResNet'",
                                 f"type='{kind}'")
        # mmpretrain alone would work; asked together, nothing is written
        assert error_of(capsys, edited, str(out), '--format', 'mmpretrain',
                        fmt) == (
            f'error: --format {fmt} supports mmpretrain ResNet backbones '
            'only (depth 18/34/50/101/152, style pytorch, 3 input '
            'channels, no deep stem or avg-down: the torchvision '
            f'layout); this backbone is {kind}: not supported, use '
            '--format mmpretrain')
    caffe = checkpoint_with(tmp_path, ckpt, "type='ResNet'",
                            "type='ResNet', style='caffe'")
    assert "ResNet with style='caffe' (torchvision: 'pytorch')" in error_of(
        capsys, caffe, str(out), '--format', 'torchvision')
    assert error_of(capsys, ckpt, str(out) + '.pth', '--format', 'timm') == (
        'error: with --format, OUT is a folder (the file names carry their '
        f'hash); got the file name {out}.pth')
    assert not out.exists()

    teacher_only = str(tmp_path / 'teacher_only.pth')
    data = torch.load(ckpt, weights_only=True)
    data['state_dict'] = {k: v for k, v in data['state_dict'].items()
                          if not k.startswith('backbone.')}
    torch.save(data, teacher_only)
    msg = error_of(capsys, teacher_only, str(out), '--format', 'timm')
    assert msg.startswith("error: no student backbone: no key starts with "
                          "'backbone.'; the checkpoint has keys under ")
    assert error_of(capsys, teacher_only, str(tmp_path / 'b.pth')) == msg
    assert not out.exists() and not (tmp_path / 'b.pth').exists()

    # an existing output is refused, and stays as it was
    paths = export(ckpt, str(out), '--format', 'torchvision', 'timm')
    before = {p: sha(p) for p in [paths[0], osp.join(paths[1],
                                                     'config.json')]}
    listing = sorted(os.listdir(out))
    assert error_of(capsys, ckpt, str(out), '--format', 'mmpretrain',
                    'timm') == (f'error: output {paths[1]} already exists; '
                                'pass --force to replace it')
    assert sorted(os.listdir(out)) == listing  # the mmpretrain file neither
    assert {p: sha(p) for p in before} == before
    assert export(ckpt, str(out), '--format', 'timm', '--force') == \
        [paths[1]]
    assert sorted(os.listdir(out)) == listing  # no temporary left


class Probe(Hook):
    """Records the backbones right after the other hooks' before_train."""

    def before_train(self, runner) -> None:
        model = runner.model
        self.student = {k: v.clone() for k, v in
                        model.backbone.state_dict().items()}
        self.teacher = {k: v.clone() for k, v in
                        model.teacher['backbone'].state_dict().items()}


def train(cfg, init_from: str) -> Probe:
    """Train ``cfg`` with the hook tools/train.py --init-from adds."""
    from mmengine.runner import Runner
    load_tool('train.py').add_init_hook(cfg, init_from)
    runner = scope_checkpoint_loads(Runner.from_cfg(cfg))
    probe = Probe()
    runner.register_hook(probe, priority='NORMAL')  # after GeRSPEMAHook
    runner.train()
    return probe


def test_init_from_loads_student_and_teacher_once(exported, aid_root,
                                                  cifar_train_root, tmp_path,
                                                  monkeypatch):
    tv = exported['torchvision']
    expected = torch.load(tv, weights_only=True)
    work = str(tmp_path / 'work')
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=1)
    probe = train(cfg, tv)
    for state in (probe.student, probe.teacher):
        assert state.keys() == expected.keys()
        for k, v in expected.items():
            assert torch.equal(state[k], v), k
    # a resumed run keeps the weights it resumed, not the file's
    resumed = read_checkpoint(osp.join(work, 'iter_1.pth'))['state_dict']
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=2)
    cfg.resume, cfg.load_from = True, osp.join(work, 'iter_1.pth')
    probe = train(cfg, tv)
    assert not torch.equal(probe.student['conv1.weight'],
                           expected['conv1.weight'])
    for k, v in probe.student.items():
        assert torch.equal(v, resumed['backbone.' + k]), k
        assert torch.equal(probe.teacher[k], resumed['teacher.backbone.' + k])

    # tools/train.py --init-from adds the hook; an unreadable file is one line
    train_tool = load_tool('train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', DEMO_CONFIG,
                                      '--init-from', exported['timm']])
    cfg = train_tool.build_config(train_tool.parse_args())
    assert cfg.custom_hooks[-1] == dict(type='BackboneInitHook',
                                        checkpoint=exported['timm'])
    assert cfg.custom_imports == dict(
        imports=['mmgersp', 'mmgersp.engine.hooks.backbone_init_hook'],
        allow_failed_imports=False)
    missing = str(tmp_path / 'nope.pth')
    monkeypatch.setattr(sys, 'argv', ['train.py', DEMO_CONFIG,
                                      '--work-dir', work, '--init-from',
                                      missing])
    with pytest.raises(SystemExit) as info:
        train_tool.main()
    assert info.value.code == (f'error: --init-from: {missing}: missing (no '
                               'such file)')


def test_mmpretrain_format_of_a_swin_rebuilds_from_its_meta(tmp_path, capsys):
    """The modern backbones export as mmpretrain; meta['backbone_cfg'] is
    enough to build the backbone again (what the evaluation does)."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.model.backbone = dict(
        type='SwinTransformer', img_size=64, out_indices=(3, ), window_size=2,
        arch=dict(embed_dims=16, depths=[1, 1, 1, 1],
                  num_heads=[1, 1, 1, 1]))
    torch.manual_seed(0)
    swin = MODELS.build(cfg.model.backbone)
    src = str(tmp_path / 'swin_iter_2.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in
                                swin.state_dict().items()},
                    meta=dict(cfg=cfg.pretty_text, iter=2)), src)
    assert error_of(capsys, src, str(tmp_path / 'out'), '--format',
                    'timm').endswith(
                        'this backbone is SwinTransformer: not supported, '
                        'use --format mmpretrain')
    (path, ) = export(src, str(tmp_path / 'out'), '--format', 'mmpretrain')
    meta = torch.load(path, weights_only=True)['meta']
    rebuilt = MODELS.build(meta['backbone_cfg'])
    assert load_backbone_weights(rebuilt, path).ok
    swin.eval()
    rebuilt.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(rebuilt(x)[-1], swin(x)[-1])
