"""GeRSPEMAHook inside a real mmengine Runner on real images."""
import copy

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmgersp.engine import GeRSPEMAHook
from mmgersp.utils.checkpoint import read_checkpoint
from tests.conftest import tiny_gersp_cfg


class Recorder(Hook):
    """Snapshots teacher and student around the EMA update of each step."""

    def __init__(self, store: dict, when: str):
        self.store, self.when = store, when

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = runner.model
        self.store.setdefault(self.when, []).append(
            dict(teacher=copy.deepcopy(model.teacher.state_dict()),
                 student=copy.deepcopy(model.backbone.state_dict()),
                 neck=copy.deepcopy(model.neck.state_dict())))


class StartRecorder(Hook):
    """Teacher and student as the first iteration begins."""

    def __init__(self, store: dict):
        self.store = store

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == 0:
            model = runner.model
            self.store.update(
                teacher=copy.deepcopy(model.teacher.state_dict()),
                student={
                    **{f'backbone.{k}': v for k, v in copy.deepcopy(
                        model.backbone.state_dict()).items()},
                    **{f'neck.{k}': v for k, v in copy.deepcopy(
                        model.neck.state_dict()).items()}
                })


def run(cfg, store):
    runner = Runner.from_cfg(cfg)
    # HIGHEST runs before the EMA hook (ABOVE_NORMAL), LOWEST after it.
    runner.register_hook(Recorder(store, 'before_ema'), 'HIGHEST')
    runner.register_hook(Recorder(store, 'after_ema'), 'LOWEST')
    runner.train()
    return runner


@pytest.mark.parametrize('projector', ['ema', 'frozen'])
def test_teacher_is_the_momentum_average(aid_root, cifar_train_root,
                                         tmp_path, projector):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path),
                         max_iters=3)
    cfg.model.teacher_projector = projector
    cfg.custom_hooks[0].momentum = 0.9
    store = {}
    runner = run(cfg, store)
    m = 0.9
    for it in range(3):
        pre, post = store['before_ema'][it], store['after_ema'][it]
        for name, s in pre['student'].items():
            t_pre = pre['teacher'][f'backbone.{name}']
            t_post = post['teacher'][f'backbone.{name}']
            if s.is_floating_point() and 'running' not in name:
                torch.testing.assert_close(t_post, m * t_pre + (1 - m) * s)
            else:  # BN buffers follow the student
                torch.testing.assert_close(t_post, s)
        for name, s in pre['neck'].items():
            t_pre = pre['teacher'][f'neck.{name}']
            t_post = post['teacher'][f'neck.{name}']
            expected = m * t_pre + (1 - m) * s if projector == 'ema' else t_pre
            torch.testing.assert_close(t_post, expected)
    # the student moved, so the teacher differs from it
    assert not torch.equal(runner.model.teacher['backbone'].conv1.weight,
                           runner.model.backbone.conv1.weight)
    logs = runner.message_hub.get_scalar('train/momentum')
    assert logs.current() == pytest.approx(0.9)


def test_teacher_copied_at_iteration_zero_not_on_resume(
        aid_root, cifar_train_root, tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path),
                         max_iters=2)
    runner = Runner.from_cfg(cfg)
    start = {}
    runner.register_hook(StartRecorder(start), 'LOWEST')
    runner.train()
    # before the first step the teacher is an exact copy of the student
    for name, value in start['student'].items():
        torch.testing.assert_close(start['teacher'][name], value, rtol=0,
                                   atol=0)

    cfg2 = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path),
                          max_iters=3)
    cfg2.resume = True
    cfg2.load_from = str(tmp_path / 'iter_2.pth')
    store = {}
    runner2 = Runner.from_cfg(cfg2)
    runner2.register_hook(Recorder(store, 'before_ema'), 'HIGHEST')
    runner2.train()
    loaded = read_checkpoint(cfg2.load_from)['state_dict']
    first = store['before_ema'][0]['teacher']
    # the resumed teacher is the saved teacher, not a fresh copy of the
    # student
    torch.testing.assert_close(first['backbone.conv1.weight'],
                               loaded['teacher.backbone.conv1.weight'])


def test_cosine_momentum_schedule():
    hook = GeRSPEMAHook(momentum=0.99, end_momentum=1.0)
    assert hook.momentum_at(0, 101) == pytest.approx(0.99)
    assert hook.momentum_at(50, 101) == pytest.approx(0.995)
    assert hook.momentum_at(100, 101) == pytest.approx(1.0)
    assert GeRSPEMAHook(0.996).momentum_at(77, 100) == 0.996
    with pytest.raises(ValueError, match='momentum'):
        GeRSPEMAHook(momentum=1.5)


def test_bad_layout_fails_before_first_step(aid_root, cifar_train_root,
                                            tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    cfg.model.queue_len = 30  # not a multiple of n_rs = 4
    with pytest.raises(ValueError, match='queue_len=30'):
        Runner.from_cfg(cfg).train()
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    cfg.train_dataloader.batch_size = 6
    with pytest.raises(ValueError, match='batch_size=6'):
        Runner.from_cfg(cfg).train()
