"""AtomicCheckpointHook: SIGKILL at chosen moments, broken files, full disk.

Training runs in forked children (one Python start for the whole file) that
kill themselves with SIGKILL at a chosen moment: after N bytes of a
checkpoint, after its rename, after ``last_checkpoint`` moved, or inside an
iteration. The parent then resumes as a user would (``resume=True``).
"""
import errno
import gc
import glob
import multiprocessing
import os
import os.path as osp
import random
import signal

import pytest
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmgersp.engine.hooks.checkpoint_hook as hook_module
from mmgersp.utils.checkpoint import (CheckpointError, check_checkpoint,
                                      read_checkpoint)
from tests.conftest import tiny_gersp_cfg
from tests.test_engine.test_hooks.test_exact_resume import (assert_same_tree,
                                                            use_file_lists)

TOTAL = 16  # iterations of the killed run


def small_cfg(aid, cifar, tmp_path, work, iters, keep=1):
    """A GeRSP run of a ~2 MB checkpoint: ResNet-18 at 1/8 width, 32 px."""
    cfg = tiny_gersp_cfg(aid, cifar, str(work), max_iters=iters, n_rs=2,
                         n_nat=2)
    use_file_lists(cfg, aid, cifar, tmp_path, rs_classes=6, nat_classes=6,
                   per_class=1)
    cfg.model.backbone.update(base_channels=8, stem_channels=8)
    cfg.model.neck.update(in_channels=64, hid_channels=64)
    cfg.model.cls_head.in_channels = 64
    cfg.model.queue_len = 8
    cfg.default_hooks.checkpoint.update(interval=1, by_epoch=False,
                                        max_keep_ckpts=keep)
    cfg.default_hooks.logger.interval = 1
    cfg.resume = True  # what a pre-emptible job passes every time
    return cfg


class KillAt(Hook):
    """SIGKILL this process before iteration ``iter`` of this attempt."""

    def __init__(self, n: int) -> None:
        self.n = n

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.n -= 1
        if self.n < 0:
            os.kill(os.getpid(), signal.SIGKILL)


def _nth_call_kills(n: int, real=None):
    """A stand-in that SIGKILLs on its ``n``-th call (1-based)."""
    calls = [0]

    def stand_in(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs) if real else None

    return stand_in


def _child(cfg, kill):
    """Train; die as ``kill`` says: (phase, save or iteration, fraction)."""
    torch.set_num_threads(1)
    phase, n, fraction = kill or (None, 0, 0)
    if phase == 'write':  # after `fraction` of the n-th checkpoint's bytes
        real_put, saves = LocalBackend.put, [0]

        def put(self, obj, filepath):
            if str(filepath).endswith('.tmp'):
                saves[0] += 1
                if saves[0] == n:
                    with open(filepath, 'wb') as f:
                        f.write(obj[:max(1, int(len(obj) * fraction))])
                    os.kill(os.getpid(), signal.SIGKILL)
            return real_put(self, obj, filepath)

        LocalBackend.put = put
    elif phase == 'renamed':  # complete file renamed, pointer not moved
        hook_module.write_text_atomically = _nth_call_kills(
            n, hook_module.write_text_atomically)
    elif phase == 'pointed':  # pointer moved, old checkpoint not deleted
        hook_module.AtomicCheckpointHook._remove_checkpoint = staticmethod(
            _nth_call_kills(n, hook_module.remove_quietly))
    runner = Runner.from_cfg(cfg)
    if phase == 'iter':
        runner.register_hook(KillAt(n))
    runner.train()


def attempt(cfg, kill=None) -> int:
    """Run one training attempt in a forked child; its exit code."""
    proc = multiprocessing.get_context('fork').Process(
        target=_child, args=(cfg, kill))
    gc.freeze()  # the child's gc then skips (and copies) none of our heap
    try:
        proc.start()
    finally:
        gc.unfreeze()
    proc.join(300)
    assert proc.exitcode is not None, 'training attempt hung'
    return proc.exitcode


def final_state(path):
    ckpt = read_checkpoint(str(path))
    return {k: ckpt[k] for k in ('state_dict', 'optimizer',
                                 'param_schedulers')}


@pytest.fixture(scope='module')
def straight(aid_root, cifar_train_root, tmp_path_factory):
    """An uninterrupted run of TOTAL iterations (the reference)."""
    tmp = tmp_path_factory.mktemp('straight')
    assert attempt(small_cfg(aid_root, cifar_train_root, tmp, tmp / 'w',
                             TOTAL)) == 0
    return tmp / 'w'


def test_twenty_random_kills_end_as_the_uninterrupted_run(
        aid_root, cifar_train_root, tmp_path, straight):
    rng = random.Random(4)
    work = tmp_path / 'w'
    cfg = small_cfg(aid_root, cifar_train_root, tmp_path, work, TOTAL)
    kills = []
    while len(kills) < 20:
        # n: the save (or iteration) of this attempt at which it dies
        phase = rng.choice(['write', 'write', 'renamed', 'pointed', 'iter'])
        n = rng.randint(1, 2) if phase == 'write' else rng.randint(0, 1) \
            if phase == 'iter' else 1
        kill = (phase, n, rng.random())
        code = attempt(cfg, kill)
        if code == 0:
            break
        assert code == -signal.SIGKILL, kill
        kills.append(kill)
        # whatever the moment, last_checkpoint (once there is one) names a
        # complete checkpoint
        pointer = work / 'last_checkpoint'
        if pointer.exists():
            assert check_checkpoint(pointer.read_text()) is None, kill
    assert len(kills) == 20, f'run finished after {len(kills)} kills'
    assert sum(k[0] != 'iter' for k in kills) >= 10  # most during saves
    assert attempt(cfg) == 0
    last = f'iter_{TOTAL}.pth'
    assert_same_tree(final_state(straight / last), final_state(work / last))
    # max_keep_ckpts=1 held: removals cut short by a kill were finished
    assert sorted(n for n in os.listdir(work) if 'iter' in n) == [last]


@pytest.mark.parametrize('fraction', [0.0, 0.3, 0.999])
def test_kill_during_save_with_max_keep_1_resumes(aid_root, cifar_train_root,
                                                 tmp_path, fraction):
    """mmengine deleted iter_2 before writing iter_3: --resume then failed."""
    work = tmp_path / 'w'
    cfg = small_cfg(aid_root, cifar_train_root, tmp_path, work, 4)
    assert attempt(cfg, ('write', 3, fraction)) == -signal.SIGKILL
    assert open(work / 'last_checkpoint').read() == str(work / 'iter_2.pth')
    assert read_checkpoint(str(work / 'iter_2.pth'))['meta']['iter'] == 2
    assert not osp.exists(work / 'iter_3.pth')
    runner = Runner.from_cfg(cfg)
    runner.train()  # resumes at iteration 2
    assert runner.iter == 4
    assert sorted(os.listdir(work))[-2:] == ['iter_4.pth', 'last_checkpoint']
    assert not [n for n in os.listdir(work) if n.endswith('.tmp')]


def test_resume_falls_back_past_broken_newest(aid_root, cifar_train_root,
                                             tmp_path, straight):
    work = tmp_path / 'w'
    os.makedirs(work)
    good = read_checkpoint(str(straight / f'iter_{TOTAL}.pth'))
    for it in (4, 7):
        torch.save(dict(good, meta=dict(good['meta'], iter=it)),
                   work / f'iter_{it}.pth')
    data = open(work / 'iter_7.pth', 'rb').read()
    open(work / 'iter_7.pth', 'wb').write(data[:len(data) // 3])
    open(work / 'iter_6.pth', 'wb').close()
    (work / 'iter_5.pth').write_text('oops')
    # last_checkpoint names a file that is gone
    (work / 'last_checkpoint').write_text(str(work / 'iter_8.pth'))
    cfg = small_cfg(aid_root, cifar_train_root, tmp_path, work, 4)
    cfg.log_level = 'INFO'
    runner = Runner.from_cfg(cfg)
    runner.train()  # already at iteration 4: resumes and stops
    assert runner.iter == 4
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    for name, reason in [
            ('iter_8.pth', 'missing (no such file)'),
            ('iter_7.pth', f'truncated ({len(data) // 3} bytes; the end of '
             'the file is missing, e.g. a save that was interrupted)'),
            ('iter_6.pth', 'empty (0 bytes)'),
            ('iter_5.pth', 'not a checkpoint (not a torch.save file; 4 '
             'bytes)')]:
        assert f'resume: skipped {work / name}: {reason}' in log
    assert f'resume: newest checkpoint that loads: {work / "iter_4.pth"}' \
        in log


def test_explicit_resume_or_load_that_cannot_load_is_one_error(
        aid_root, cifar_train_root, tmp_path):
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'')
    cfg = small_cfg(aid_root, cifar_train_root, tmp_path, tmp_path / 'w', 2)
    cfg.load_from = str(bad)
    with pytest.raises(CheckpointError) as info:
        Runner.from_cfg(cfg).train()
    assert str(info.value) == f'cannot resume from {bad}: empty (0 bytes)'
    cfg.resume = False
    with pytest.raises(CheckpointError, match=f'^cannot load {bad}: empty'):
        Runner.from_cfg(cfg).train()


def test_full_disk_during_save_is_named_and_leaves_the_last_checkpoint(
        aid_root, cifar_train_root, tmp_path, monkeypatch):
    work = tmp_path / 'w'
    cfg = small_cfg(aid_root, cifar_train_root, tmp_path, work, 3)
    real_put = LocalBackend.put

    def put(self, obj, filepath):
        if str(filepath).endswith('iter_2.pth.%d.tmp' % os.getpid()):
            with open(filepath, 'wb') as f:
                f.write(obj[:1000])
            raise OSError(errno.ENOSPC, 'No space left on device')
        return real_put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put)
    with pytest.raises(OSError) as info:
        Runner.from_cfg(cfg).train()
    assert str(info.value).startswith(
        '[Errno 28] no space left on device while writing '
        f'{work / "iter_2.pth"}; ')
    assert sorted(n for n in os.listdir(work) if 'iter' in n) == \
        ['iter_1.pth']
    assert open(work / 'last_checkpoint').read() == str(work / 'iter_1.pth')
