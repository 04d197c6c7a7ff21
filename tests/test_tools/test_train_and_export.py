"""tools/train.py on AID + CIFAR-10, then the export tool, as a user runs them."""
import glob
import os.path as osp
import subprocess
import sys

import torch

from mmgersp.utils.checkpoint import read_checkpoint
from tests.conftest import DEMO_CONFIG, REPO


def run_tool(*args, cwd=REPO):
    proc = subprocess.run([sys.executable, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_train_then_export_loads_into_plain_resnet(aid_root,
                                                   cifar_train_root,
                                                   tmp_path):
    work = str(tmp_path / 'work')
    run_tool(
        'tools/train.py', DEMO_CONFIG, '--work-dir', work,
        '--rs-root', aid_root, '--natural-root', cifar_train_root,
        '--cfg-options', 'train_cfg.max_iters=3', 'param_scheduler.0.end=3',
        'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False')
    ckpt = osp.join(work, 'iter_3.pth')
    assert osp.isfile(ckpt)
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    for key in ('loss_contrast', 'loss_cls', 'acc_cls', 'momentum'):
        assert key in log, key

    out = str(tmp_path / 'backbone.pth')
    printed = run_tool('tools/model_converters/export_backbone.py', ckpt, out)
    assert printed.strip().splitlines()[-1] == osp.abspath(out)

    exported = torch.load(out, weights_only=True)
    state = exported['state_dict']
    assert state and all(k.startswith('backbone.') for k in state)
    full = read_checkpoint(ckpt)['state_dict']
    for k, v in state.items():
        torch.testing.assert_close(v, full[k])  # student, not teacher

    from mmpretrain.models import ResNet
    resnet = ResNet(depth=18)
    result = resnet.load_state_dict(
        {k[len('backbone.'):]: v for k, v in state.items()}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
