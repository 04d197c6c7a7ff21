"""GeRSP loss on real AID (RS stream) + CIFAR-10 (natural stream) images."""
import pytest
import torch
from mmengine.runner import Runner

from tests.conftest import tiny_gersp_cfg


@pytest.fixture()
def setup(aid_root, cifar_train_root, tmp_path):
    from mmpretrain.registry import MODELS
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    return cfg, model, loader


def _batch(model, loader):
    return model.data_preprocessor(next(iter(loader)), True)


def test_batch_layout_reaches_loss(setup):
    cfg, model, loader = setup
    data = _batch(model, loader)
    q, k = data['inputs']['rs']
    assert q.shape == k.shape == (4, 3, 32, 32)
    assert data['inputs']['nat'].shape == (4, 3, 32, 32)
    # two different augmentations of the same RS image
    assert not torch.equal(q, k)
    paths = [s.img_path for s in data['data_samples']['rs']]
    assert all('/aid/' in p for p in paths)
    labels = torch.cat([s.gt_label for s in data['data_samples']['nat']])
    assert labels.min() >= 0 and labels.max() < 10


def test_loss_terms_and_queue(setup):
    cfg, model, loader = setup
    data = _batch(model, loader)
    ptr0 = int(model.queue_ptr)
    queue0 = model.queue.clone()
    losses = model.loss(**data)
    assert set(losses) == {'loss_contrast', 'loss_cls', 'acc_contrast',
                           'acc_cls'}
    for name in ('loss_contrast', 'loss_cls'):
        assert torch.isfinite(losses[name]) and losses[name] > 0
        assert losses[name].requires_grad
    # the queue starts as random unit vectors, far from any feature, so the
    # InfoNCE is below log(1 + 64) but positive
    assert 0.0 < losses['loss_contrast'].item() < 4.2
    # CE over 10 classes starts near log(10)
    assert 0.5 < losses['loss_cls'].item() < 10.0
    # queue pointer advances by the gathered RS batch (1 process x 4)
    assert int(model.queue_ptr) == ptr0 + 4
    changed = (model.queue != queue0).any(dim=1)
    assert changed[ptr0:ptr0 + 4].all() and not changed[ptr0 + 4:].any()
    # enqueued keys are L2-normalised teacher features
    norms = model.queue[ptr0:ptr0 + 4].norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(4))
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.backbone.conv1.weight.grad is not None
    assert model.cls_head.fc.weight.grad is not None
    assert all(p.grad is None for p in model.teacher.parameters())


def test_alpha_scales_cls_loss(setup):
    cfg, model, loader = setup
    data = _batch(model, loader)
    model.train()
    torch.manual_seed(1)
    base = model.loss(**data)['loss_cls']
    model.alpha = 0.5
    torch.manual_seed(1)
    half = model.loss(**data)['loss_cls']
    torch.testing.assert_close(half, 0.5 * base)


def test_separate_forward_option(setup):
    cfg, model, loader = setup
    data = _batch(model, loader)
    model.joint_forward = False
    losses = model.loss(**data)
    assert torch.isfinite(losses['loss_contrast'])
    # per-domain BN statistics give a different loss than the joint forward
    model.joint_forward = True
    joint = model.loss(**data)
    assert not torch.allclose(losses['loss_cls'], joint['loss_cls'])


def test_queue_len_must_divide_global_rs_batch(setup):
    cfg, model, loader = setup
    model.check_batch_layout(n_rs=4, world_size=2)  # 64 % 8 == 0
    with pytest.raises(ValueError, match='queue_len=64.*3 x 2 = 6'):
        model.check_batch_layout(n_rs=3, world_size=2)


def test_invalid_teacher_projector(aid_root, cifar_train_root, tmp_path):
    from mmpretrain.registry import MODELS
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    cfg.model.teacher_projector = 'random'
    with pytest.raises(ValueError, match='teacher_projector'):
        MODELS.build(cfg.model)


def test_teacher_pairs_follow_projector_mode(setup):
    cfg, model, loader = setup
    assert len(model.teacher_student_pairs()) == 2
    model.teacher_projector = 'frozen'
    pairs = model.teacher_student_pairs()
    assert [s for _, s in pairs] == [model.backbone]


def test_training_step_never_reads_values_back(setup, monkeypatch):
    """No .item()/.tolist()/bool() on tensors inside a step: on a GPU each
    would make the host wait for the device."""
    from mmengine.optim import build_optim_wrapper

    cfg, model, loader = setup
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    data = next(iter(loader))
    reads = []
    for name in ('item', 'tolist', '__bool__', '__float__', '__int__'):
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _name=name, _original=original, **kw):
            reads.append(_name)
            return _original(self, *args, **kw)

        monkeypatch.setattr(torch.Tensor, name, counting)
    log_vars = model.train_step(data, optim)
    model.momentum_update(0.996)
    monkeypatch.undo()
    assert reads == []
    assert set(log_vars) >= {'loss', 'loss_contrast', 'loss_cls'}


def test_teacher_copy_and_momentum_update(setup):
    """The model owns its teacher: init_teacher copies the student, then
    momentum_update gives m * teacher + (1 - m) * student per parameter;
    BN buffers are the student's; a frozen projector stays where it was."""
    cfg, model, loader = setup
    model.init_teacher()
    for t, s in zip(model.teacher.parameters(),
                    list(model.backbone.parameters()) +
                    list(model.neck.parameters())):
        assert torch.equal(t, s)
    with torch.no_grad():
        for p in list(model.backbone.parameters()) + list(
                model.neck.parameters()):
            p.add_(torch.randn_like(p))
        for b in model.backbone.buffers():
            if b.is_floating_point():
                b.add_(1.0)
    before = [t.clone() for t in model.teacher.parameters()]
    model.teacher_projector = 'frozen'
    model.momentum_update(0.9)
    n_bb = len(list(model.backbone.parameters()))
    for t0, t, s in zip(before[:n_bb], model.teacher['backbone'].parameters(),
                        model.backbone.parameters()):
        assert torch.allclose(t, 0.9 * t0 + 0.1 * s, atol=1e-6)
    for t0, t in zip(before[n_bb:], model.teacher['neck'].parameters()):
        assert torch.equal(t, t0)
    for t, s in zip(model.teacher['backbone'].buffers(),
                    model.backbone.buffers()):
        assert torch.equal(t, s)
