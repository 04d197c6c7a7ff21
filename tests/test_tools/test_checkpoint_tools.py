"""The tools never destroy their input, leave partial output or hide a typo."""
import hashlib
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmpretrain.models import ResNet

from tests.conftest import DEMO_CONFIG, REPO, load_tool


def sha(path) -> str:
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


@pytest.fixture()
def train_ckpt(tmp_path) -> str:
    """A training-checkpoint-like file: student, teacher, queue."""
    state = {f'backbone.{k}': v for k, v in
             ResNet(depth=18).state_dict().items()}
    state.update({f'teacher.{k}': v for k, v in state.items()},
                 queue=torch.randn(128, 8))
    path = str(tmp_path / 'iter_4.pth')
    torch.save(dict(state_dict=state, meta=dict(iter=4)), path)
    return path


def run_main(monkeypatch, capsys, tool, *argv):
    """``tool``'s ``main()`` as the shell runs it; (exit message, stdout)."""
    monkeypatch.setattr(sys, 'argv', [tool, *argv])
    with pytest.raises(SystemExit) as info:
        load_tool(tool).main()
    return str(info.value.code), capsys.readouterr()


def test_export_cli_refuses_its_input_and_keeps_it(train_ckpt):
    before = sha(train_ckpt)
    proc = subprocess.run(
        [sys.executable, 'tools/model_converters/export_backbone.py',
         train_ckpt, train_ckpt, '--force'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f'error: output {train_ckpt} is the input file; refusing to '
        'overwrite it (give another output path)')
    assert sha(train_ckpt) == before


def test_converters_refuse_existing_outputs_and_truncated_inputs(
        train_ckpt, tmp_path, monkeypatch, capsys):
    out = tmp_path / 'taken.pth'
    out.write_bytes(b'earlier result')
    data = open(train_ckpt, 'rb').read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    export = 'model_converters/export_backbone.py'
    inflate = 'model_converters/inflate_first_conv.py'
    for tool, extra in [(export, []), (inflate, ['--in-channels', '4'])]:
        code, _ = run_main(monkeypatch, capsys, tool, train_ckpt, str(out),
                           *extra)
        assert code == (f'error: output {out} already exists; pass --force '
                        'to replace it')
        code, _ = run_main(monkeypatch, capsys, tool, str(truncated),
                           str(tmp_path / 'new.pth'), *extra)
        assert code == (f'error: {truncated}: truncated ({len(data) // 2} '
                        'bytes; the end of the file is missing, e.g. a save '
                        'that was interrupted)')
        assert not osp.exists(tmp_path / 'new.pth')
    assert out.read_bytes() == b'earlier result'
    convert = load_tool('model_converters/convert_official.py')
    with pytest.raises(SystemExit, match=f'^error: output {train_ckpt} is '
                       'the input file'):
        convert.main([train_ckpt, train_ckpt, '--force'])
    # --force replaces an existing output, atomically
    monkeypatch.setattr(sys, 'argv', [export, train_ckpt, str(out),
                                      '--force'])
    load_tool(export).main()
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert sorted(os.listdir(tmp_path)) == ['iter_4.pth', 'taken.pth',
                                            'truncated.pth']


def test_train_resume_from_a_broken_file_is_one_line(tmp_path, monkeypatch,
                                                     capsys):
    broken = tmp_path / 'iter_8.pth'
    broken.write_bytes(b'')
    code, _ = run_main(monkeypatch, capsys, 'train.py', DEMO_CONFIG,
                       '--work-dir', str(tmp_path), '--resume', str(broken))
    assert code == f'error: cannot resume from {broken}: empty (0 bytes)'
    code, _ = run_main(monkeypatch, capsys, 'test.py', DEMO_CONFIG,
                       str(tmp_path / 'nope.pth'))
    assert code == (f'error: cannot load {tmp_path / "nope.pth"}: missing '
                    '(no such file)')


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_cfg_options_typo_names_the_key_and_the_closest(tool, tmp_path,
                                                        monkeypatch, capsys):
    extra = [str(tmp_path / 'x.pth')] if tool == 'test.py' else []
    code, _ = run_main(monkeypatch, capsys, tool, DEMO_CONFIG, *extra,
                       '--cfg-options', 'train_dataloaderr.batch_size=8')
    assert code == ("error: --cfg-options train_dataloaderr.batch_size: "
                    "unknown top-level config key 'train_dataloaderr'; did "
                    "you mean 'train_dataloader'?")


@pytest.mark.parametrize('value', ['0', '-3'])
def test_demo_max_iters_below_1_names_the_flag(value, monkeypatch, capsys):
    code, out = run_main(monkeypatch, capsys, 'demo.py', '--max-iters',
                         value)
    assert code == '2'  # argparse
    assert out.err.strip().splitlines()[-1].endswith(
        f'error: argument --max-iters: must be >= 1, got {value}')


def test_set_max_iters_refuses_non_positive():
    from mmengine.config import Config

    from mmgersp.apis.recipe import set_max_iters
    with pytest.raises(ValueError, match=r'--max-iters must be an integer '
                       r'>= 1, got 0'):
        set_max_iters(Config.fromfile(DEMO_CONFIG), 0)


def test_each_demo_run_keeps_its_own_results(aid_root, cifar_train_root,
                                             tmp_path, monkeypatch, capsys):
    argv = ['--rs-root', aid_root, '--natural-root', cifar_train_root,
            '--work-dir', str(tmp_path), '--max-iters', '1']
    exports = []
    for _ in range(2):
        monkeypatch.setattr(sys, 'argv', ['demo.py', *argv])
        load_tool('demo.py').main()
        exports.append(capsys.readouterr().out.strip().splitlines()[-1])
    first, second = exports
    assert first != second and osp.dirname(first) != osp.dirname(second)
    for path in exports:  # both runs' results are there, complete
        assert osp.basename(path) == 'gersp_backbone.pth'
        assert osp.dirname(osp.dirname(path)) == str(tmp_path)
        assert torch.load(path, weights_only=True)['state_dict']
        assert osp.isfile(osp.join(osp.dirname(path), 'iter_1.pth'))
