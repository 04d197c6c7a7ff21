"""Helpers of the tools (config edits, demo data, export, inflation, ...).

``import mmgersp`` loads only what training needs from here (the checkpoint
reader/writer, through ``AtomicCheckpointHook``); every other helper is
imported on first use, by the tool that asks for it, so a training process
never loads the demo-data generator or the first-conv inflation.
"""
import importlib
from typing import Any

# public name -> submodule that owns it
_OWNERS = {
    'count_class_folders': 'config',
    'set_data_roots': 'config',
    'check_cfg_options': 'config',
    'setup_cpu_distributed': 'dist',
    'inflate_first_conv': 'inflate',
    'make_demo_data': 'synthetic',
    'allow_mmengine_checkpoint_types': 'checkpoint',
    'load_checkpoint_safely': 'checkpoint',
    'read_checkpoint': 'checkpoint',
    'write_checkpoint': 'checkpoint',
    'CheckpointError': 'checkpoint',
    'scope_checkpoint_loads': 'checkpoint',
}

__all__ = sorted(_OWNERS)


def __getattr__(name: str) -> Any:
    """``from mmgersp.utils import X`` imports X's submodule only now."""
    if name not in _OWNERS:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_OWNERS[name]}'),
                   name)
