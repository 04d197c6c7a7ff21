"""Command-line errors of the tools: refused outputs, one ``error:`` line.

``tools/train.py``, ``tools/test.py`` and the model converters share these,
so a missing checkpoint, an output that would overwrite a file and a full
disk read the same in every tool, with no traceback.
"""
import functools
import os.path as osp
from typing import Callable, Optional, Tuple, Type

from .checkpoint import CheckpointError, is_no_space


class OutputExistsError(FileExistsError):
    """A tool was asked to write over its input or an existing file."""


def check_output_path(dst: str, src: Optional[str] = None,
                      force: bool = False) -> str:
    """Refuse to write a tool's output over its input or an existing file.

    Writing over the input is refused even with ``force``: it would
    replace a training checkpoint (teacher, queue, optimizer) by its
    export.
    """
    if src is not None and osp.exists(dst) and osp.exists(src) and \
            osp.samefile(dst, src):
        raise OutputExistsError(
            f'output {dst} is the input file; refusing to overwrite it '
            '(give another output path)')
    if osp.exists(dst) and not force:
        raise OutputExistsError(
            f'output {dst} already exists; pass --force to replace it')
    if osp.isdir(dst):
        raise OutputExistsError(f'output {dst} is a folder; give a file path')
    return dst


def exit_on_error(main: Callable,
                  errors: Tuple[Type[BaseException], ...] = ()) -> Callable:
    """Turn a tool's checkpoint/output errors (and ``errors``, a caller's
    own explained ones) into one ``error:`` line, without a traceback."""
    explained = (CheckpointError, OutputExistsError, *errors)

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except explained as e:
            raise SystemExit(f'error: {e}') from e
        except OSError as e:
            if not is_no_space(e):
                raise
            raise SystemExit(f'error: {e.strerror}') from e

    return run
