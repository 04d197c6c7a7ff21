"""mmgersp.utils.cli: the tools' refused outputs and one-line errors."""
import errno

import pytest

from mmgersp.utils.checkpoint import CheckpointError
from mmgersp.utils.cli import (OutputExistsError, check_output_path,
                               exit_on_error)


def test_check_output_path(tmp_path):
    src, dst = tmp_path / 'in.pth', tmp_path / 'out.pth'
    src.write_bytes(b'x')
    assert check_output_path(str(dst), str(src)) == str(dst)  # new file
    with pytest.raises(OutputExistsError, match='is the input file'):
        check_output_path(str(src), str(src), force=True)
    dst.write_bytes(b'y')
    with pytest.raises(OutputExistsError,
                       match=f'output {dst} already exists; pass --force'):
        check_output_path(str(dst), str(src))
    assert check_output_path(str(dst), str(src), force=True) == str(dst)
    with pytest.raises(OutputExistsError, match='is a folder'):
        check_output_path(str(tmp_path), force=True)


@pytest.mark.parametrize('error,line', [
    (CheckpointError('a.pth', 'empty (0 bytes)', 'resume from'),
     'error: cannot resume from a.pth: empty (0 bytes)'),
    (OutputExistsError('output b.pth already exists'),
     'error: output b.pth already exists'),
    (OSError(errno.ENOSPC, 'no space left on device while writing c.pth'),
     'error: no space left on device while writing c.pth'),
])
def test_exit_on_error_prints_one_line(error, line):
    def main():
        raise error

    with pytest.raises(SystemExit) as exc:
        exit_on_error(main)()
    assert exc.value.code == line


def test_exit_on_error_passes_results_and_other_errors():
    def fail():
        raise KeyError('backbone.conv1.weight')

    assert exit_on_error(lambda x: x + 1)(1) == 2
    with pytest.raises(KeyError):  # not the tools' to explain
        exit_on_error(fail)()
    with pytest.raises(SystemExit, match=r"^error: 'backbone.conv1.weight'$"):
        exit_on_error(fail, (KeyError, ))()  # the caller's explained ones
