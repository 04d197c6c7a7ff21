"""Safe loading: planted objects never run; exports are tensor-only."""
import errno
import multiprocessing
import os
import os.path as osp
import pickle
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.runner import load_checkpoint
from mmpretrain.models import ResNet

import mmgersp.utils.checkpoint as ck
from mmgersp.apis.export import export_backbone
from mmgersp.utils import load_checkpoint_safely
from mmgersp.utils.checkpoint import (CheckpointError, check_checkpoint,
                                      is_temporary, require_checkpoint,
                                      write_checkpoint)
from mmgersp.utils.cli import OutputExistsError
from tests.conftest import REPO

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


# --- one reader: every kind of bad file gets one line naming it ----------

def write_resnet_ckpt(path, depth=18):
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in
                                ResNet(depth=depth).state_dict().items()}),
               path)
    return str(path)


def test_reader_names_the_file_and_the_reason(tmp_path):
    good = write_resnet_ckpt(tmp_path / 'good.pth')
    data = open(good, 'rb').read()
    (tmp_path / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'empty.pth').write_bytes(b'')
    (tmp_path / 'notes.pth').write_text('not a checkpoint\n')
    half = len(data) // 2
    expected = {
        'missing.pth': 'missing (no such file)',
        'empty.pth': 'empty (0 bytes)',
        'truncated.pth': f'truncated ({half} bytes; the end of the file is '
        'missing, e.g. a save that was interrupted)',
        'notes.pth': 'not a checkpoint (not a torch.save file; 17 bytes)',
    }
    for name, reason in expected.items():
        path = str(tmp_path / name)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint_safely(path)
        assert str(info.value) == f'{path}: {reason}'
        assert check_checkpoint(path) == reason
        with pytest.raises(CheckpointError, match='^cannot resume from '):
            require_checkpoint(path, 'resume from')
    with pytest.raises(FileNotFoundError):  # still a FileNotFoundError
        load_checkpoint_safely(str(tmp_path / 'missing.pth'))
    assert check_checkpoint(good) is None


# --- loading changes nothing in the process -------------------------------

class StatisticsRemap:
    """Pickles as a HistoryBuffer whose statistics table maps mean -> max."""

    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        state = dict(HistoryBuffer([1.0], [1]).__dict__)
        state['statistics_methods'] = {'mean': HistoryBuffer.max}
        return (HistoryBuffer, (), state)


def test_loading_restores_allow_list_and_history_buffer(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer

    def users_own():  # a type the user allow-listed before
        pass

    path = tmp_path / 'remap.pth'
    torch.save(dict(buf=StatisticsRemap()), path)
    torch.serialization.add_safe_globals([users_own])
    try:
        before = set(torch.serialization.get_safe_globals())
        mean = HistoryBuffer._statistics_methods['mean']
        loaded = load_checkpoint_safely(str(path))
        assert isinstance(loaded['buf'], HistoryBuffer)
        assert set(torch.serialization.get_safe_globals()) == before
        assert HistoryBuffer._statistics_methods['mean'] is mean
        buf = HistoryBuffer([1.0, 3.0], [1, 1])
        assert buf.mean() == 2.0 and buf.statistics('mean') == 2.0
    finally:
        torch.serialization.clear_safe_globals()


def test_import_mmgersp_leaves_torch_allow_list_alone():
    # torch registers its own types (DTensor...) as its modules load
    code = ('import torch\n'
            'import mmgersp\n'
            'print(sorted({getattr(g, "__module__", "?").split(".")[0]\n'
            '              for g in torch.serialization.get_safe_globals()}))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['torch']"


# --- one writer: atomic, crash-safe, full disk reported --------------------

def _write_and_die_at(path: str, offset: int) -> None:
    """In a forked child: write a checkpoint, die after ``offset`` bytes."""
    written, real = [0], ck._RecordingFile.write

    def write(self, data):
        if written[0] + len(data) >= offset:
            self.f.write(bytes(data)[:offset - written[0]])
            self.f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        written[0] += len(data)
        return real(self, data)

    ck._RecordingFile.write = write
    write_checkpoint(dict(x=torch.arange(200000)), path)


@pytest.mark.parametrize('offset', [1, 700, 400000, 799000])
def test_kill_during_write_keeps_the_old_file(tmp_path, offset):
    path = tmp_path / 'ckpt.pth'
    write_checkpoint(dict(x=torch.zeros(3)), str(path))
    child = multiprocessing.get_context('fork').Process(
        target=_write_and_die_at, args=(str(path), offset))
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    # the old file is intact; the partial one only under a temporary name
    assert torch.equal(load_checkpoint_safely(str(path))['x'],
                       torch.zeros(3))
    partial = [n for n in os.listdir(tmp_path) if n != 'ckpt.pth']
    assert len(partial) == 1 and is_temporary(partial[0])
    assert osp.getsize(tmp_path / partial[0]) == offset


def failing_write(after):
    """A low-level write that hits a full disk after ``after`` bytes."""
    written = [0]

    def write(self, data):
        if written[0] + len(data) > after:
            raise OSError(errno.ENOSPC, 'No space left on device')
        written[0] += len(data)
        return self.f.write(data)

    return write


def test_full_disk_is_named_and_cleaned_up(tmp_path, monkeypatch):
    path = tmp_path / 'out.pth'
    write_checkpoint(dict(x=torch.zeros(3)), str(path))
    monkeypatch.setattr(ck._RecordingFile, 'write', failing_write(1000))
    with pytest.raises(OSError) as info:
        write_checkpoint(dict(x=torch.ones(100000)), str(path))
    assert info.value.errno == errno.ENOSPC
    assert str(info.value).startswith(
        f'[Errno 28] no space left on device while writing {path}; ')
    assert os.listdir(tmp_path) == ['out.pth']  # partial file removed
    monkeypatch.undo()
    assert torch.equal(load_checkpoint_safely(str(path))['x'], torch.zeros(3))


def test_full_disk_on_a_real_tmpfs(tmp_path):
    """A 256 kB tmpfs (needs root to mount: CI runs as root, so there it
    must mount; elsewhere a failed mount skips)."""
    disk = tmp_path / 'disk'
    disk.mkdir()
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k',
                              'tmpfs', str(disk)], capture_output=True)
    if mounted.returncode != 0:
        msg = 'cannot mount a tmpfs here: ' + mounted.stderr.decode()
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(msg + ' (CI=true: CI runs as root and must mount it)')
        pytest.skip(msg)  # only off CI: with CI=true it failed above
    try:
        src = write_resnet_ckpt(tmp_path / 'src.pth')  # 45 MB: cannot fit
        out = disk / 'backbone.pth'
        with pytest.raises(OSError, match=r'no space left on device while '
                           f'writing {out}; [0-9]+ bytes free'):
            export_backbone(src, str(out))
        assert os.listdir(disk) == []
    finally:
        subprocess.run(['umount', str(disk)], check=True)


def test_export_refuses_its_input_and_existing_files(tmp_path):
    src = write_resnet_ckpt(tmp_path / 'train.pth')
    size = osp.getsize(src)
    with pytest.raises(OutputExistsError,
                       match=f'output {src} is the input file; refusing'):
        export_backbone(src, src, force=True)
    assert osp.getsize(src) == size
    out = export_backbone(src, str(tmp_path / 'b.pth'))
    with pytest.raises(OutputExistsError, match='pass --force to replace'):
        export_backbone(src, out)
    assert export_backbone(src, out, force=True) == out
