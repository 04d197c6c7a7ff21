"""Train N iterations straight vs. N/2 + resume + N/2: identical results."""
import hashlib
import os
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmgersp.utils.checkpoint import read_checkpoint
from tests.conftest import tiny_gersp_cfg

TOTAL, SPLIT = 8, 3  # 2 epochs of 4 batches; resume in the middle of epoch 0


class BatchRecorder(Hook):
    """Sample paths and a hash of the augmented pixels of every batch."""
    priority = 'LOWEST'

    def __init__(self, store: list):
        self.store = store

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        rs = data_batch['inputs']['rs']
        pixels = b''.join(t.numpy().tobytes() for t in
                          [*rs, data_batch['inputs']['nat']])
        self.store.append(dict(
            iter=runner.iter,
            rs=[s.img_path for s in data_batch['data_samples']['rs']],
            nat=[s.img_path for s in data_batch['data_samples']['nat']],
            pixels=hashlib.sha256(pixels).hexdigest()))


def use_file_lists(cfg, aid: str, cifar: str, folder, rs_classes: int,
                   nat_classes: int, per_class: int) -> None:
    """Train the streams of ``cfg`` on file lists written to ``folder``:
    the first image of ``rs_classes`` AID classes, the first ``per_class``
    images of ``nat_classes`` CIFAR-10 classes."""
    rs_list, nat_list = folder / 'rs.txt', folder / 'nat.txt'
    rs_list.write_text('\n'.join(
        f'{c}/{sorted(os.listdir(osp.join(aid, c)))[0]}'
        for c in sorted(os.listdir(aid))[:rs_classes]))
    classes = sorted(os.listdir(cifar))
    nat_list.write_text('\n'.join(
        f'{c}/{sorted(os.listdir(osp.join(cifar, c)))[i]} {classes.index(c)}'
        for c in classes[:nat_classes] for i in range(per_class)))
    rs_cfg, nat_cfg = cfg.train_dataloader.dataset.datasets
    rs_cfg.ann_file, nat_cfg.ann_file = str(rs_list), str(nat_list)


def make_cfg(aid, cifar, tmp_path, work, loop, workers):
    cfg = tiny_gersp_cfg(aid, cifar, str(work), max_iters=TOTAL)
    use_file_lists(cfg, aid, cifar, tmp_path, rs_classes=12, nat_classes=8,
                   per_class=2)
    cfg.model.queue_len = 16
    cfg.train_dataloader.num_workers = workers
    cfg.train_dataloader.persistent_workers = workers > 0
    cfg.default_hooks.checkpoint.update(interval=SPLIT, by_epoch=False,
                                        max_keep_ckpts=-1)
    if loop == 'epoch':
        cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2)
        cfg.train_dataloader.sampler.infinite = False  # epochs end
        cfg.log_processor.by_epoch = True
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0.001,
                                by_epoch=False, begin=0, end=TOTAL)]
    return cfg


def train(cfg, resume_from=None):
    store = []
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    runner = Runner.from_cfg(cfg)
    runner.register_hook(BatchRecorder(store))
    runner.train()
    return runner, store


def assert_same_tree(a, b, where=''):
    if isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same_tree(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def assert_resumed_like_straight(straight, resumed, straight_dir,
                                 resumed_dir):
    """Batches (samples and pixels) and checkpoints after the resume point
    are those of the uninterrupted run."""
    assert resumed == straight[SPLIT:]
    for it in (2 * SPLIT, TOTAL):
        a = read_checkpoint(str(straight_dir / f'iter_{it}.pth'))
        b = read_checkpoint(str(resumed_dir / f'iter_{it}.pth'))
        for key in ('state_dict', 'optimizer', 'param_schedulers'):
            assert_same_tree(a[key], b[key], key)


@pytest.mark.parametrize('loop,workers', [('epoch', 2), ('iter', 0)])
def test_resume_continues_exactly(aid_root, cifar_train_root, tmp_path, loop,
                                  workers):
    straight_dir, resumed_dir = tmp_path / 'straight', tmp_path / 'resumed'
    _, straight = train(make_cfg(aid_root, cifar_train_root, tmp_path,
                                 straight_dir, loop, workers))
    assert [b['iter'] for b in straight] == list(range(TOTAL))
    _, resumed = train(
        make_cfg(aid_root, cifar_train_root, tmp_path, resumed_dir, loop,
                 workers),
        resume_from=str(straight_dir / f'iter_{SPLIT}.pth'))
    # every batch after the resume point -- the sample indices and the
    # augmented pixels -- is the one the uninterrupted run trained on
    assert_resumed_like_straight(straight, resumed, straight_dir, resumed_dir)
    for it in (2 * SPLIT, TOTAL):
        a = read_checkpoint(str(straight_dir / f'iter_{it}.pth'))
        b = read_checkpoint(str(resumed_dir / f'iter_{it}.pth'))
        assert a['meta']['iter'] == b['meta']['iter'] == it
        assert a['message_hub']['log_scalars']['train/lr'].current() == \
            b['message_hub']['log_scalars']['train/lr'].current()
        for name in ('queue', 'queue_ptr', 'teacher.backbone.conv1.weight',
                     'backbone.conv1.weight'):
            assert name in a['state_dict']


def test_an_infinite_sampler_in_an_epoch_loop_is_an_error(
        aid_root, cifar_train_root, tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    assert cfg.train_dataloader.sampler.infinite  # the demo config's
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    with pytest.raises(ValueError, match=r'sampler\.infinite=True never ends'
                       ' an epoch of the EpochBasedTrainLoop'):
        Runner.from_cfg(cfg).train()
