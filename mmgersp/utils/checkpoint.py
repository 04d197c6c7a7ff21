"""The project's one checkpoint reader and one crash-safe checkpoint writer.

Reading: torch >= 2.6 unpickles with ``weights_only=True``, which rejects
the few non-tensor types mmengine 0.10.7 writes into its own training
checkpoints (numpy scalars/arrays in the message hub, ``HistoryBuffer``).
:func:`allow_mmengine_checkpoint_types` allow-lists exactly those types *for
the duration of a load* and then puts torch's allow-list and mmengine's
``HistoryBuffer`` statistics back as they were, so a load never changes the
rest of the process. Any other pickled object is still refused.

Writing: :func:`write_checkpoint` writes to a temporary file in the target's
folder, fsyncs it, and renames it over the target, so a kill at any moment
leaves either the old file or the complete new one -- never a partial file
under the final name. A full disk is reported as such and cleaned up.
"""
import contextlib
import errno
import functools
import os
import os.path as osp
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Callable, Iterator, List, Optional

import numpy as np
import torch

# the keys under which checkpoints of OpenMMLab, MoCo and others keep weights
STATE_KEYS = ('state_dict', 'model', 'model_state')


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read; ``reason`` is one line."""

    def __init__(self, path: str, reason: str,
                 action: Optional[str] = None) -> None:
        self.path, self.reason = path, reason
        super().__init__(f'cannot {action} {path}: {reason}'
                         if action else f'{path}: {reason}')


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist."""


def _history_buffer_getattr(obj, name: str):
    """Stands in for ``getattr`` while unpickling, for HistoryBuffer only.

    ``HistoryBuffer.__getstate__`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allow-listing the real ``getattr``
    would let a planted checkpoint reach any attribute of any allowed type
    (and from there ``os.system``); this resolves only those methods.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in HistoryBuffer._statistics_methods:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')


def _mmengine_types() -> list:
    """The globals mmengine's training checkpoints pickle."""
    from mmengine.logging.history_buffer import HistoryBuffer
    core = getattr(np, '_core', None) or np.core
    safe = [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        core.multiarray._reconstruct,
        core.multiarray.scalar,
    ]
    # numpy >= 1.25 pickles dtypes by their class (np.dtypes.Float64DType...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    safe.append((_history_buffer_getattr, 'builtins.getattr'))
    return safe


@contextlib.contextmanager
def allow_mmengine_checkpoint_types() -> Iterator[None]:
    """Allow-list mmengine's checkpoint types for the loads inside the block.

    On exit torch's allow-list is exactly what it was on entry, and so are
    ``HistoryBuffer``'s statistics methods: unpickling a ``HistoryBuffer``
    updates that class-wide table from the file, which would let a
    checkpoint re-map e.g. ``mean`` to ``max`` for the whole process.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer(max_length=1)  # registers the default statistics methods
    allowed = torch.serialization.get_safe_globals()
    statistics = dict(HistoryBuffer._statistics_methods)
    torch.serialization.add_safe_globals(_mmengine_types())
    try:
        yield
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(allowed)
        HistoryBuffer._statistics_methods.clear()
        HistoryBuffer._statistics_methods.update(statistics)


def scope_checkpoint_loads(runner) -> Any:
    """Make ``runner``'s resume/load run inside the scoped allow-list.

    mmengine's ``Runner.load_or_resume`` calls ``torch.load`` without
    ``weights_only``; wrapping this one runner's method (instead of
    allow-listing at import) keeps the rest of the process untouched.
    Idempotent; returns ``runner``.
    """
    load = runner.load_or_resume
    if getattr(load, '_mmgersp_scoped', False):
        return runner

    @functools.wraps(load)
    def scoped_load_or_resume(*args, **kwargs):
        with allow_mmengine_checkpoint_types():
            return load(*args, **kwargs)

    scoped_load_or_resume._mmgersp_scoped = True
    runner.load_or_resume = scoped_load_or_resume
    return runner


def _diagnose(path: str, error: Exception) -> str:
    """One line saying why ``torch.load`` failed on ``path``."""
    with open(path, 'rb') as f:
        head = f.read(4)
    size = osp.getsize(path)
    if head == b'PK\x03\x04' and not zipfile.is_zipfile(path):
        return (f'truncated ({size} bytes; the end of the file is missing, '
                'e.g. a save that was interrupted)')
    if head[:2] != b'PK' and head[:1] != b'\x80':
        return f'not a checkpoint (not a torch.save file; {size} bytes)'
    if isinstance(error, EOFError):
        return f'truncated ({size} bytes; {error!r})'
    if isinstance(error, pickle.UnpicklingError):
        first = str(error).strip().splitlines()[0] if str(error) else ''
        detail = next((line.strip() for line in str(error).splitlines()
                       if 'refusing getattr' in line
                       or 'Unsupported global' in line), first)
        return ('not a checkpoint that loads with weights_only=True (it may '
                f'contain arbitrary pickled objects): {detail}')
    first = str(error).strip().splitlines()[0] if str(error) else ''
    return f'not a loadable checkpoint ({type(error).__name__}: {first})'


def read_checkpoint(path: str, mmap: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` on CPU: the project's reader.

    Args:
        path: The checkpoint file.
        mmap: Map the tensors instead of reading them (cheap validity
            check of a large file: the structure is unpickled, the tensor
            bytes are not read).

    Raises:
        CheckpointError: naming the file and why it cannot be read --
            missing, empty, truncated, not a checkpoint, or holding objects
            ``weights_only`` refuses.
    """
    if not osp.exists(path):
        raise CheckpointNotFoundError(path, 'missing (no such file)')
    if not osp.isfile(path):
        raise CheckpointError(path, 'not a checkpoint (not a file)')
    if osp.getsize(path) == 0:
        raise CheckpointError(path, 'empty (0 bytes)')
    try:
        with allow_mmengine_checkpoint_types():
            return torch.load(
                path, map_location='cpu', weights_only=True, mmap=mmap)
    except Exception as e:  # noqa: BLE001 -- any failure gets one reason
        raise CheckpointError(path, _diagnose(path, e)) from e


# Earlier name of the reader, kept for callers and configs that use it.
load_checkpoint_safely = read_checkpoint


def check_checkpoint(path: str) -> Optional[str]:
    """``None`` when ``path`` loads (memory-mapped), else the reason."""
    try:
        read_checkpoint(path, mmap=zipfile.is_zipfile(path)
                        if osp.isfile(path) else False)
    except CheckpointError as e:
        return e.reason
    return None


def require_checkpoint(path: str, action: str) -> str:
    """``path`` if it loads, else a :class:`CheckpointError` such as
    ``cannot resume from PATH: truncated (...)``."""
    reason = check_checkpoint(path)
    if reason is not None:
        raise CheckpointError(path, reason, action)
    return path


def state_dict_of(checkpoint: Any) -> dict:
    """The weights of a checkpoint: its ``state_dict`` (or ``model``...).

    A bare state dict is returned as is.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f'a checkpoint is a dict; got {type(checkpoint)}')
    for key in STATE_KEYS:
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def select_tensors(checkpoint: Any,
                   prefix: str = '',
                   strip: bool = False) -> 'OrderedDict[str, torch.Tensor]':
    """The tensors of a checkpoint whose key starts with ``prefix``.

    ``strip`` removes the prefix (what ``PretrainedInit(prefix=...)``
    does). Empty when nothing matches; callers say what that means.
    """
    state = state_dict_of(checkpoint)
    return OrderedDict((k[len(prefix):] if strip else k, v)
                       for k, v in state.items()
                       if k.startswith(prefix) and isinstance(v, torch.Tensor))


def key_heads(checkpoint: Any) -> List[str]:
    """Distinct first components of the weight keys (for error hints)."""
    return sorted({k.split('.')[0] for k in state_dict_of(checkpoint)})


class _RecordingFile:
    """A binary file whose ``write`` remembers the ``OSError`` it raised.

    ``torch.save`` reports a failed write as ``RuntimeError: ... unexpected
    pos``; the recorded error tells a full disk apart.
    """

    def __init__(self, f) -> None:
        self.f, self.error = f, None

    def write(self, data) -> int:
        try:
            return self.f.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        self.f.flush()


def _fsync(path: str) -> None:
    """Flush a file's (or a folder's entries') data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_no_space(error: BaseException,
                recorded: Optional[OSError] = None) -> bool:
    """Whether ``error`` (or the write error ``recorded``) is a full disk."""
    for e in (recorded, error, error.__cause__, error.__context__):
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return True
    return False


def temporary_path(path: str) -> str:
    """Where ``path`` is written before its rename (same folder)."""
    folder, name = osp.split(osp.abspath(path))
    return osp.join(folder, f'.{name}.{os.getpid()}.tmp')


def is_temporary(name: str) -> bool:
    """Whether a file name is a temporary left by an interrupted write."""
    return name.startswith('.') and name.endswith('.tmp') and \
        name.count('.') >= 3


def commit(tmp: str, path: str) -> str:
    """fsync ``tmp``, rename it to ``path``, fsync the folder.

    After this returns, ``path`` is complete on disk, even if the machine
    loses power; before, ``path`` is untouched.
    """
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(osp.dirname(osp.abspath(path)))
    return path


def remove_quietly(path: str) -> None:
    """Remove ``path`` if it exists."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def no_space_error(path: str, error: BaseException) -> OSError:
    """The error of a full disk, naming the file that could not be written."""
    folder = osp.dirname(osp.abspath(path))
    try:
        stat = os.statvfs(folder)
        free = f'; {stat.f_bavail * stat.f_frsize} bytes free'
    except OSError:
        free = ''
    return OSError(
        errno.ENOSPC, f'no space left on device while writing {path}{free}; '
        'the partial file was removed, nothing else changed')


def write_atomically(path: str, write: Callable[[Any], None]) -> str:
    """Call ``write(file)`` on a temporary file, then :func:`commit` it.

    On any failure the temporary file is removed and ``path`` is left as it
    was; a full disk raises ``OSError(ENOSPC)`` naming ``path``.
    """
    path = osp.abspath(path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = temporary_path(path)
    recorder = None
    try:
        with open(tmp, 'wb') as f:
            recorder = _RecordingFile(f)
            write(recorder)
        return commit(tmp, path)
    except BaseException as e:
        remove_quietly(tmp)
        if isinstance(e, Exception) and is_no_space(
                e, recorder.error if recorder else None):
            raise no_space_error(path, e) from e
        raise


def write_checkpoint(obj: Any, path: str) -> str:
    """``torch.save(obj, path)``, atomically: the project's one writer."""
    return write_atomically(path, lambda f: torch.save(obj, f))


def write_text_atomically(path: str, text: str) -> str:
    """Replace a small text file (e.g. ``last_checkpoint``) atomically."""
    return write_atomically(path, lambda f: f.write(text.encode()))
