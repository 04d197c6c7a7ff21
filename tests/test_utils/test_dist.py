"""setup_cpu_distributed: mmengine's pytorch launcher on a machine without
a GPU (gloo, DDP without device ids); a no-op otherwise."""
import socket

import torch
import torch.distributed as dist
from mmengine.config import Config

from mmgersp.utils import setup_cpu_distributed


def test_no_launcher_changes_nothing():
    cfg = Config(dict(launcher='none'))
    setup_cpu_distributed(cfg)
    assert 'model_wrapper_cfg' not in cfg and not dist.is_initialized()


def test_pytorch_launcher_with_a_gpu_is_left_to_mmengine(monkeypatch):
    # Both branches run on any machine: torch's answer is set per test.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = Config(dict(launcher='pytorch'))
    setup_cpu_distributed(cfg)
    assert 'model_wrapper_cfg' not in cfg and not dist.is_initialized()


def test_pytorch_launcher_on_cpu_starts_gloo(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with socket.socket() as s:  # a free port for the one-process group
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                           MASTER_ADDR='127.0.0.1',
                           MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = Config(dict(launcher='pytorch', find_unused_parameters=True))
    try:
        setup_cpu_distributed(cfg)
        assert dist.is_initialized() and dist.get_backend() == 'gloo'
        assert cfg.model_wrapper_cfg == dict(
            type='MMDistributedDataParallel', device_ids=None,
            broadcast_buffers=False, find_unused_parameters=True)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
