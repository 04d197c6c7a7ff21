"""convert_official.py on real torchvision ResNet-50 state dicts.

The official GeRSP/MoCo checkpoints store a torchvision ResNet-50 under
``encoder_q.`` (MoCo), ``backbone.`` + ``encoder_q.0.`` (mmselfsup 0.x) or
behind ``module.``; a converted file must load strictly into the ResNet-50
of mmpretrain and mmdet and compute exactly what torchvision computes.
"""
import os.path as osp

import pytest
import torch
import torchvision

from tests.conftest import load_tool


@pytest.fixture(scope='module')
def tv_resnet50():
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    # non-trivial BN statistics, so a swapped buffer would show
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


def official_layouts(sd):
    """The key layouts of official releases, each with decoy tensors."""
    zeros = {k: torch.zeros_like(v) for k, v in sd.items()}
    moco = {f'module.encoder_q.{k}': v for k, v in sd.items()}
    moco.update({f'module.encoder_k.{k}': v for k, v in zeros.items()})
    moco['module.queue'] = torch.randn(128, 16)
    moco['module.encoder_q.fc.0.weight'] = torch.randn(2048, 2048)
    selfsup = {f'backbone.{k}': v for k, v in sd.items() if 'fc' not in k}
    selfsup.update({f'encoder_q.0.{k}': v for k, v in sd.items()})
    selfsup.update({f'encoder_k.0.{k}': v for k, v in zeros.items()})
    selfsup['neck.mlp.0.weight'] = torch.randn(2048, 2048)
    return {
        'moco-encoder_q': {'state_dict': moco, 'epoch': 200},
        'mmselfsup-backbone': {'state_dict': selfsup, 'meta': {'epoch': 100}},
        'encoder_q-only': {f'encoder_q.{k}': v for k, v in sd.items()},
        'plain-torchvision': dict(sd),
    }


@pytest.mark.parametrize('layout', [
    'moco-encoder_q', 'mmselfsup-backbone', 'encoder_q-only',
    'plain-torchvision'
])
def test_converted_resnet50_computes_like_torchvision(tv_resnet50, layout,
                                                      tmp_path):
    from mmdet.models.backbones import ResNet as DetResNet
    from mmpretrain.models import ResNet

    sd = tv_resnet50.state_dict()
    src, dst = str(tmp_path / 'official.pth'), str(tmp_path / 'out.pth')
    torch.save(official_layouts(sd)[layout], src)
    tool = load_tool('model_converters/convert_official.py')
    assert tool.main([src, dst]) == 0

    out = torch.load(dst, weights_only=True)
    state = out['state_dict']
    assert all(k.startswith('backbone.') for k in state)
    assert out['meta']['source'] == src
    plain = {k[len('backbone.'):]: v for k, v in state.items()}
    for k, v in plain.items():  # query encoder, never the zeroed key one
        assert torch.equal(v, sd[k]), k

    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        t = tv_resnet50
        ref = t.layer4(t.layer3(t.layer2(t.layer1(t.maxpool(t.relu(
            t.bn1(t.conv1(x))))))))
    for cls in (ResNet, DetResNet):
        net = cls(depth=50, out_indices=(3, ))
        net.eval()  # mmdet's ResNet.train() returns None: no chaining
        result = net.load_state_dict(plain, strict=True)
        assert not result.missing_keys and not result.unexpected_keys
        with torch.no_grad():
            torch.testing.assert_close(net(x)[-1], ref)


def test_bn_counters_of_old_checkpoints_are_filled(tv_resnet50, tmp_path):
    sd = {k: v for k, v in tv_resnet50.state_dict().items()
          if not k.endswith('num_batches_tracked')}
    src, dst = str(tmp_path / 'old.pth'), str(tmp_path / 'out.pth')
    torch.save({'state_dict': {f'encoder_q.{k}': v for k, v in sd.items()}},
               src)
    load_tool('model_converters/convert_official.py').main([src, dst])
    from mmpretrain.models import ResNet
    state = torch.load(dst, weights_only=True)['state_dict']
    ResNet(depth=50).load_state_dict(
        {k[len('backbone.'):]: v for k, v in state.items()}, strict=True)


def test_not_a_resnet50_is_refused(tmp_path):
    r18 = torchvision.models.resnet18(weights=None).state_dict()
    src = str(tmp_path / 'r18.pth')
    torch.save({'state_dict': {f'encoder_q.{k}': v for k, v in r18.items()}},
               src)
    tool = load_tool('model_converters/convert_official.py')
    with pytest.raises(KeyError, match='no complete torchvision-style'):
        tool.main([src, str(tmp_path / 'out.pth')])
    assert not osp.exists(tmp_path / 'out.pth')
    with pytest.raises(KeyError, match="'backbone.'"):
        tool.main([src, str(tmp_path / 'out.pth'), '--prefix', 'backbone.'])
