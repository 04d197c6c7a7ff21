"""Exported backbones: what leaves a training checkpoint, and what loads back.

Export: the student backbone of a GeRSP (or any mmpretrain) training
checkpoint becomes a tensor-only file, ``{'state_dict': {'backbone.*'},
'meta': {...}}``, that loads with ``torch.load(..., weights_only=True)`` and
with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.

Load report: mmengine's ``PretrainedInit`` loads with ``strict=False`` and only
logs a warning for keys it could not place, so a wrong prefix or a renamed
layer can leave a downstream backbone randomly initialised without stopping
the run. :func:`backbone_load_report` compares the backbone *after*
``init_weights()`` with the checkpoint, tensor by tensor, and says which keys
were loaded, missing, unexpected or of the wrong shape.

The export tool, the zoo publisher, the converters and ``check_backbone_load``
all use this module; a training process never imports it.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from mmgersp.utils.checkpoint import (check_output_path, key_heads,
                                      read_checkpoint, select_tensors,
                                      state_dict_of, write_checkpoint)


def extract_backbone(checkpoint: dict,
                     prefix: str = 'backbone.') -> 'OrderedDict[str, torch.Tensor]':
    """The student backbone tensors of a GeRSP (or any mmpretrain) checkpoint.

    Keys keep ``prefix`` so downstream configs load them with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
    The teacher (``teacher.backbone.*``) is not exported.
    """
    out = OrderedDict((k, v.detach().cpu().clone())
                      for k, v in select_tensors(checkpoint, prefix).items())
    if not out:
        state = state_dict_of(checkpoint)
        raise KeyError(
            f'no student backbone: no key starts with {prefix!r}; the '
            f'checkpoint has keys under {key_heads(checkpoint)} '
            f'({len(state)} keys)')
    return out


def write_backbone(state: Dict[str, torch.Tensor], meta: dict, dst: str,
                   src: Optional[str] = None, force: bool = False) -> str:
    """Write ``{'state_dict': state, 'meta': meta}``, the exported format.

    The format every export/convert/inflate/publish tool writes, loadable
    with ``torch.load(dst, weights_only=True)``; refuses to overwrite
    ``src`` (and an existing ``dst`` without ``force``).
    """
    check_output_path(dst, src, force)
    return write_checkpoint(dict(state_dict=state, meta=meta), dst)


def export_backbone(src: str,
                    dst: str,
                    prefix: str = 'backbone.',
                    meta: Optional[Dict] = None,
                    force: bool = False) -> str:
    """Write the student backbone of ``src`` as a tensor-only checkpoint.

    The file holds ``{'state_dict': {prefix + name: tensor}, 'meta': {...}}``
    with only tensors, strings and numbers, so it loads with
    ``torch.load(dst, weights_only=True)``.
    """
    check_output_path(dst, src, force)
    state = extract_backbone(read_checkpoint(src), prefix)
    return write_backbone(state, dict(meta or {}, source=src), dst, src,
                          force)


@dataclass
class LoadReport:
    """Key-by-key outcome of loading a checkpoint into a backbone."""

    loaded: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    # (key, shape in the model, shape in the checkpoint)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)
    # key and shape match, but the tensor after init_weights() differs
    not_applied: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every backbone tensor came from the checkpoint."""
        return not (self.missing or self.mismatched or self.not_applied)

    def format(self, max_keys: int = 50) -> str:
        """A human-readable report, listing at most ``max_keys`` per kind."""
        total = (len(self.loaded) + len(self.missing) + len(self.mismatched) +
                 len(self.not_applied))
        lines = [
            f'loaded:           {len(self.loaded)} / {total} backbone tensors',
            f'missing:          {len(self.missing)}',
            f'unexpected:       {len(self.unexpected)}',
            f'shape mismatches: {len(self.mismatched)}',
            f'not applied:      {len(self.not_applied)}',
        ]
        kinds = [('missing', self.missing), ('unexpected', self.unexpected),
                 ('shape mismatches (model vs checkpoint)', [
                     f'{k}: {tuple(a)} vs {tuple(b)}'
                     for k, a, b in self.mismatched
                 ]), ('not applied (value differs after init_weights)',
                      self.not_applied)]
        for title, keys in kinds:
            if keys:
                lines.append(f'{title}:')
                lines += [f'  {k}' for k in keys[:max_keys]]
                if len(keys) > max_keys:
                    lines.append(f'  ... and {len(keys) - max_keys} more')
        return '\n'.join(lines)


def _loaded(checkpoint: Union[str, dict]) -> dict:
    """A checkpoint given as a path (read once here) or already read."""
    return read_checkpoint(checkpoint) if isinstance(checkpoint, str) \
        else checkpoint


def load_prefixed_state(checkpoint: Union[str, dict],
                        prefix: str = 'backbone.'
                        ) -> 'OrderedDict[str, torch.Tensor]':
    """The tensors under ``prefix`` of a checkpoint, prefix removed.

    The same selection ``PretrainedInit(prefix=...)`` makes; empty when no
    key has the prefix (the caller reports that). ``checkpoint`` is a path
    or a checkpoint already read with :func:`read_checkpoint` (read a file
    once when :func:`key_prefixes` is needed too).
    """
    if prefix and not prefix.endswith('.'):
        prefix += '.'
    return select_tensors(_loaded(checkpoint), prefix, strip=True)


def key_prefixes(checkpoint: Union[str, dict]) -> List[str]:
    """The distinct first components of a checkpoint's keys (for hints)."""
    return key_heads(_loaded(checkpoint))


def backbone_load_report(backbone: nn.Module,
                         state: Dict[str, torch.Tensor]) -> LoadReport:
    """Compare ``backbone`` (after ``init_weights()``) with ``state``.

    A key counts as loaded only when the backbone's tensor now *equals* the
    checkpoint's, so the report reflects what happened, not what the names
    suggest.
    """
    report = LoadReport()
    own = backbone.state_dict()
    for key, value in own.items():
        if key not in state:
            report.missing.append(key)
        elif tuple(state[key].shape) != tuple(value.shape):
            report.mismatched.append(
                (key, tuple(value.shape), tuple(state[key].shape)))
        elif torch.equal(value.detach().cpu(),
                         state[key].to(value.dtype).cpu()):
            report.loaded.append(key)
        else:
            report.not_applied.append(key)
    report.unexpected = [k for k in state if k not in own]
    return report
