"""Runtime helpers: checkpoints, config roots and checks, the tools' errors.

``import mmgersp`` loads only what training needs from here (the checkpoint
reader/writer, through ``AtomicCheckpointHook``); every other helper is
imported on first use, by the tool that asks for it. Helpers of a single
tool live beside that tool (``tools/analysis_tools/bench_utils.py``,
``tools/demo_data.py``), not here.
"""
import importlib
from typing import Any

# submodule -> the public names it owns (each module's top-level API)
_MODULES = {
    'checkpoint': (
        'STATE_KEYS', 'CheckpointError', 'CheckpointNotFoundError',
        'allow_mmengine_checkpoint_types', 'scope_checkpoint_loads',
        'read_checkpoint', 'load_checkpoint_safely', 'check_checkpoint',
        'require_checkpoint', 'state_dict_of', 'select_tensors', 'key_heads',
        'is_no_space', 'temporary_path', 'is_temporary', 'commit',
        'remove_quietly', 'no_space_error', 'write_atomically',
        'write_checkpoint', 'write_text_atomically'),
    'cli': ('OutputExistsError', 'check_output_path', 'exit_on_error'),
    'config': ('count_class_folders', 'set_data_roots', 'check_cfg_options',
               'check_max_iters'),
    'dist': ('setup_cpu_distributed', ),
    'logger': ('quiet_logger', ),
}
_OWNERS = {name: module for module, names in _MODULES.items()
           for name in names}

__all__ = sorted(_OWNERS)


def __getattr__(name: str) -> Any:
    """``from mmgersp.utils import X`` imports X's submodule only now."""
    if name not in _OWNERS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_OWNERS[name]}'),
                   name)
