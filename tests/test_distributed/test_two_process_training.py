"""Real torch.distributed (gloo, 2 CPU processes) GeRSP training through
torchrun + tools/train.py --launcher pytorch, as tools/dist_train.sh runs it."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from tests.conftest import DEMO_CONFIG, REPO

N_RS_IMAGES, N_NAT_PER_CLASS, ITERS = 24, 4, 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def subset(src_root, dst, per_folder, flat):
    """Symlink a few real images (nothing is copied into the repo)."""
    os.makedirs(dst, exist_ok=True)
    links = []
    for cls in sorted(os.listdir(src_root)):
        files = sorted(os.listdir(osp.join(src_root, cls)))[:per_folder]
        target = dst if flat else osp.join(dst, cls)
        os.makedirs(target, exist_ok=True)
        for f in files:
            os.symlink(osp.join(src_root, cls, f), osp.join(target, f))
            links.append(osp.join(target, f))
    return links


@pytest.fixture(scope='module')
def two_rank_run(aid_root, cifar_train_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('dist')
    rs_root, nat_root = str(tmp / 'rs'), str(tmp / 'nat')
    rs = subset(aid_root, rs_root, 1, flat=True)[:N_RS_IMAGES]
    for extra in set(os.listdir(rs_root)) - {osp.basename(p) for p in rs}:
        os.remove(osp.join(rs_root, extra))
    subset(cifar_train_root, nat_root, N_NAT_PER_CLASS, flat=False)
    cfg = tmp / 'dist_cfg.py'
    cfg.write_text(f'''
_base_ = {DEMO_CONFIG!r}
custom_imports = dict(imports=['mmgersp', 'tests.test_distributed.recorder'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='GeRSPEMAHook', momentum=0.99),
                dict(type='ExactResumeHook'), dict(type='DistRecorderHook')]
model = dict(queue_len=16)
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        sampler=dict(n_rs=2, n_nat=2, seed=3))
randomness = dict(seed=0)
''')
    work = str(tmp / 'work')
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
           f'--master_port={free_port()}', 'tools/train.py', str(cfg),
           '--launcher', 'pytorch', '--work-dir', work,
           '--rs-root', rs_root, '--natural-root', nat_root,
           '--cfg-options', f'train_cfg.max_iters={ITERS}',
           f'param_scheduler.0.end={ITERS}',
           f'default_hooks.checkpoint.interval={ITERS}',
           'default_hooks.logger.interval=5']
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    ranks = [torch.load(osp.join(work, f'rank{r}.pth'), weights_only=True)
             for r in range(2)]
    return work, ranks, rs_root, nat_root


def test_queue_holds_keys_of_both_ranks_in_rank_order(two_rank_run):
    _, (r0, r1), _, _ = two_rank_run
    torch.testing.assert_close(r0['queue'], r1['queue'], rtol=0, atol=0)
    assert int(r0['queue_ptr']) == int(r1['queue_ptr']) == (ITERS * 4) % 16
    # the last 4 enqueues filled the 16 rows: [rank0 keys, rank1 keys] each
    expected = torch.cat([torch.cat([r0['keys'][i], r1['keys'][i]])
                          for i in range(ITERS - 4, ITERS)])
    ptr = int(r0['queue_ptr'])
    queue = torch.roll(r0['queue'], -ptr, dims=0)
    torch.testing.assert_close(queue, expected)
    assert not torch.allclose(r0['keys'][-1], r1['keys'][-1])


def test_shuffle_bn_permutes_across_ranks_and_restores(two_rank_run):
    _, (r0, r1), _, _ = two_rank_run
    both = torch.cat([r0['shuffle']['x'], r1['shuffle']['x']])
    got = torch.cat([r0['shuffle']['shuffled'], r1['shuffle']['shuffled']])
    assert sorted(got.flatten().tolist()) == sorted(both.flatten().tolist())
    # rank 0 received samples of rank 1 (and keeps its batch size)
    assert (r0['shuffle']['shuffled'] >= 100).any()
    for r in (r0, r1):
        torch.testing.assert_close(r['shuffle']['restored'], r['shuffle']['x'])


def test_sampler_ranks_disjoint_and_cover_streams(two_rank_run):
    _, (r0, r1), rs_root, nat_root = two_rank_run
    # epoch rule 'longest': natural needs ceil(40 / (2 x 2)) = 10 batches,
    # RS ceil(24 / 4) = 6, so 10 iterations are exactly one epoch
    nat0 = [p for b in r0['batches'] for p in b['nat']]
    nat1 = [p for b in r1['batches'] for p in b['nat']]
    assert len(nat0) == len(nat1) == 20
    assert not set(nat0) & set(nat1)
    assert len(set(nat0) | set(nat1)) == 40  # one full pass
    rs0 = [p for b in r0['batches'] for p in b['rs']]
    rs1 = [p for b in r1['batches'] for p in b['rs']]
    # first RS pass (12 draws per rank) is split disjointly, then cycled
    assert not set(rs0[:12]) & set(rs1[:12])
    assert len(set(rs0[:12]) | set(rs1[:12])) == N_RS_IMAGES
    assert all(len(b['rs']) == 2 and len(b['nat']) == 2
               for b in r0['batches'] + r1['batches'])


def test_gradients_synchronised(two_rank_run):
    _, (r0, r1), _, _ = two_rank_run
    for name, value in r0['student'].items():
        if 'running' in name or 'num_batches' in name:
            continue  # BN buffers are per rank (broadcast_buffers=False)
        torch.testing.assert_close(value, r1['student'][name], rtol=0,
                                   atol=0, msg=name)
    conv = r0['teacher']['backbone.conv1.weight']
    torch.testing.assert_close(conv, r1['teacher']['backbone.conv1.weight'])


def test_rank0_checkpoint_loads_in_one_process(two_rank_run):
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    from mmgersp.utils.checkpoint import allow_mmengine_checkpoint_types
    work, (r0, _), rs_root, nat_root = two_rank_run
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.model.queue_len = 16
    model = MODELS.build(cfg.model)
    # mmengine's own loader: a training checkpoint needs the scoped allow-list
    with allow_mmengine_checkpoint_types():
        ckpt = load_checkpoint(model, osp.join(work, f'iter_{ITERS}.pth'),
                               strict=True)
    assert ckpt['meta']['iter'] == ITERS
    for name, value in r0['student'].items():
        torch.testing.assert_close(model.backbone.state_dict()[name], value)
    torch.testing.assert_close(model.queue, r0['queue'])
