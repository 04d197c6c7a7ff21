"""Safe checkpoint loading and student-backbone export.

torch >= 2.6 unpickles with ``weights_only=True`` by default, which rejects
the few non-tensor types that mmengine 0.10.7 writes into its own training
checkpoints (numpy scalars/arrays in the message hub, ``HistoryBuffer``).
:func:`allow_mmengine_checkpoint_types` adds exactly those types to torch's
allow-list, so ``--resume`` and ``load_checkpoint`` keep working *without*
turning ``weights_only`` off: any other pickled object in a checkpoint is
still refused instead of executed.
"""
import os
import pickle
import os.path as osp
from collections import OrderedDict
from typing import Dict, Optional

import numpy as np
import torch


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


def allow_mmengine_checkpoint_types() -> None:
    """Allow-list the types mmengine's training checkpoints contain."""
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer(max_length=1)  # registers the default statistics methods
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
    torch.serialization.add_safe_globals(safe)


def load_checkpoint_safely(path: str) -> dict:
    """``torch.load(path, weights_only=True)`` with a readable error."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path!r} does not exist')
    allow_mmengine_checkpoint_types()
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # pickle.UnpicklingError and friends
        raise RuntimeError(
            f'{path!r} is not a checkpoint that loads with weights_only=True '
            f'(it may contain arbitrary pickled objects): {e}') from e


def extract_backbone(checkpoint: dict,
                     prefix: str = 'backbone.') -> 'OrderedDict[str, torch.Tensor]':
    """The student backbone tensors of a GeRSP (or any mmpretrain) checkpoint.

    Keys keep ``prefix`` so downstream configs load them with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
    The teacher (``teacher.backbone.*``) is not exported.
    """
    state = checkpoint.get('state_dict', checkpoint)
    out = OrderedDict((k, v.detach().cpu().clone()) for k, v in state.items()
                      if k.startswith(prefix) and isinstance(v, torch.Tensor))
    if not out:
        heads = sorted({k.split('.')[0] for k in state})
        raise KeyError(
            f'no student backbone: no key starts with {prefix!r}; the '
            f'checkpoint has keys under {heads} ({len(state)} keys)')
    return out


def export_backbone(src: str,
                    dst: str,
                    prefix: str = 'backbone.',
                    meta: Optional[Dict] = None) -> str:
    """Write the student backbone of ``src`` as a tensor-only checkpoint.

    The file holds ``{'state_dict': {prefix + name: tensor}, 'meta': {...}}``
    with only tensors, strings and numbers, so it loads with
    ``torch.load(dst, weights_only=True)``.
    """
    state = extract_backbone(load_checkpoint_safely(src), prefix)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    torch.save(dict(state_dict=state, meta=dict(meta or {}, source=src)), dst)
    return dst
