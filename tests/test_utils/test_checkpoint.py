"""Safe loading: planted objects never run; exports are tensor-only."""
import os
import os.path as osp
import pickle

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmpretrain.models import ResNet

from mmgersp.utils import export_backbone, load_checkpoint_safely

MARKER = '/tmp/mmgersp_planted_object_ran'


class Planted:
    """Unpickling this would create MARKER (stands for any payload)."""

    def __reduce__(self):
        return (os.system, (f'touch {MARKER}', ))


@pytest.fixture()
def planted_ckpt(tmp_path):
    if osp.exists(MARKER):
        os.remove(MARKER)
    path = tmp_path / 'planted.pth'
    torch.save(dict(state_dict=dict(
        ResNet(depth=18).state_dict()), meta=dict(payload=Planted())), path)
    yield str(path)
    assert not osp.exists(MARKER), 'the planted object was executed'


def test_loading_a_planted_object_does_not_execute_it(planted_ckpt):
    with pytest.raises(RuntimeError, match='weights_only'):
        load_checkpoint_safely(planted_ckpt)
    # mmengine's own loader (resume, init_cfg=Pretrained) refuses it too
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(ResNet(depth=18), planted_ckpt)
    with pytest.raises(RuntimeError):
        export_backbone(planted_ckpt, planted_ckpt + '.out')


def test_getattr_stand_in_only_resolves_history_buffer_methods(tmp_path):
    """The allow-listed getattr cannot reach os.system through a type."""

    class Sneaky:
        def __reduce__(self):
            return (getattr, (torch.Tensor, '__class__'))

    path = tmp_path / 'sneaky.pth'
    torch.save(dict(x=Sneaky()), path)
    with pytest.raises(RuntimeError, match='refusing getattr'):
        load_checkpoint_safely(str(path))


def test_export_needs_a_student_backbone(tmp_path):
    path = tmp_path / 'no_backbone.pth'
    torch.save(dict(state_dict={'teacher.backbone.conv1.weight':
                                torch.zeros(1), 'queue': torch.zeros(2)}),
               path)
    with pytest.raises(KeyError, match=r"\['queue', 'teacher'\]"):
        export_backbone(str(path), str(tmp_path / 'out.pth'))


def test_exported_backbone_loads_weights_only(tmp_path):
    src = tmp_path / 'ckpt.pth'
    model = ResNet(depth=18)
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in
                                model.state_dict().items()},
                    meta=dict(seed=0)), src)
    out = export_backbone(str(src), str(tmp_path / 'b.pth'))
    loaded = torch.load(out, weights_only=True)
    assert set(loaded) == {'state_dict', 'meta'}
    assert len(loaded['state_dict']) == len(model.state_dict())
