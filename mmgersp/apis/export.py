"""Exported backbones: what leaves a training checkpoint, and what loads back.

Export: the student backbone of a GeRSP (or any mmpretrain) training
checkpoint becomes

* ``mmpretrain``: ``{'state_dict': {'backbone.*'}, 'meta': {...}}``, for
  ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``;
* ``torchvision``: a plain state dict that ``torchvision.models.resnetN()``
  loads with ``strict=True`` except ``fc.*`` (ResNets only);
* ``timm``: a folder (``config.json`` + ``model.safetensors``) for
  ``timm.create_model('local-dir:FOLDER', pretrained=True)`` (ResNets only).

:func:`backbone_metadata` is the one function that writes what users ask of
published weights (method, backbone config, bands, input scale, mean/std,
training data and length, commit, licence); :func:`export_formats` names each
output after its sha256 and writes a JSON sidecar and a Markdown model card
beside it. Every file is serialised in memory first and written atomically,
so a refused or failed export leaves nothing behind.

Load back: :func:`read_backbone_weights` reads any of the three formats (and
a training checkpoint) into backbone keys; :func:`load_backbone_weights`
loads them strictly, naming every missing or unexpected tensor.

Load report: mmengine's ``PretrainedInit`` loads with ``strict=False`` and only
logs a warning for keys it could not place, so a wrong prefix or a renamed
layer can leave a downstream backbone randomly initialised without stopping
the run. :func:`backbone_load_report` compares the backbone *after*
``init_weights()`` with the checkpoint, tensor by tensor, and says which keys
were loaded, missing, unexpected or of the wrong shape.

The export tool, the zoo publisher, the converters, ``check_backbone_load``
and ``BackboneInitHook`` (only when a config uses it) use this module;
``import mmgersp`` does not import it.
"""
import functools
import hashlib
import io
import json
import os
import os.path as osp
import re
import shutil
import struct
import subprocess
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmgersp.utils.checkpoint import (key_heads, read_checkpoint,
                                      remove_quietly, select_tensors,
                                      state_dict_of, write_atomically,
                                      write_checkpoint)
from mmgersp.utils.cli import OutputExistsError, check_output_path

FORMATS = ('mmpretrain', 'torchvision', 'timm')
LICENCE = 'Apache-2.0'
LICENCE_NOTE = ('the licence of the code that trained the weights; the '
                'weights also carry the terms of their training data '
                '(e.g. ImageNet: non-commercial research)')
PAPER = 'Huang et al., TGRS 2024, arXiv:2401.04614'
TIMM_WEIGHTS = 'model.safetensors'
_RESNET_DEPTHS = (18, 34, 50, 101, 152)


class ExportError(ValueError):
    """An export or load that cannot be done; the message is one line."""


class NoBackboneError(KeyError):
    """A checkpoint without the student backbone (no ``backbone.*`` key)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


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
        raise NoBackboneError(
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
    ``torch.load(dst, weights_only=True)``. ``meta`` is
    :func:`backbone_metadata` (``backbone_cfg``, ``normalization``...) when
    ``src`` stores its config, updated with the caller's ``meta``.
    """
    check_output_path(dst, src, force)
    ckpt = read_checkpoint(src)
    state = extract_backbone(ckpt, prefix)
    try:
        info = backbone_metadata(src, ckpt, prefix=prefix)
    except ExportError:  # no stored config: the weights still export
        info = dict(source=_source_info(src), prefix=prefix)
    return write_backbone(state, dict(info, **(meta or {})), dst, src, force)


# ---------------------------------------------------------------------------
# metadata: the one description of exported weights
# ---------------------------------------------------------------------------
def sha256sum(path: str) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _plain(obj):
    """Config values -> JSON types (tuples become lists), for weights_only."""
    return json.loads(json.dumps(obj, default=str))


def _source_info(src: str) -> dict:
    return dict(checkpoint=osp.basename(src), sha256=sha256sum(src))


def mmgersp_commit() -> str:
    """``git rev-parse HEAD`` of the mmgersp checkout (``-dirty`` with
    uncommitted changes to tracked files); ``'unknown'`` for an installed
    wheel or without git."""
    import mmgersp
    root = osp.dirname(osp.dirname(osp.abspath(mmgersp.__file__)))

    def git(*args: str) -> Optional[str]:
        try:
            proc = subprocess.run(['git', '-C', root, *args], timeout=20,
                                  capture_output=True, text=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    top = git('rev-parse', '--show-toplevel')
    # a wheel inside some other repository (a venv in a checkout) has none
    if not top or osp.realpath(top) != osp.realpath(root):
        return 'unknown'
    commit = git('rev-parse', 'HEAD') or 'unknown'
    dirty = git('status', '--porcelain', '--untracked-files=no')
    return commit + ('-dirty' if dirty else '')


def checkpoint_config(checkpoint: str, ckpt_meta: dict,
                      config: Optional[str] = None):
    """``(cfg, text, name)`` of the config a checkpoint was trained with.

    From ``config`` when given, else from the text mmengine stores in every
    training checkpoint (``meta['cfg']``); the name drops mmengine's
    ``_YYYYMMDD_HHMMSS`` run suffix.
    """
    from mmengine.config import Config
    try:
        if config:
            with open(config) as f:
                text = f.read()
            return (Config.fromfile(config), text,
                    osp.splitext(osp.basename(config))[0])
        text = ckpt_meta.get('cfg')
        if not text:
            raise ExportError(f'{checkpoint} stores no config (no '
                              "meta['cfg']); pass --config CONFIG")
        name = re.sub(r'_\d{8}_\d{6}$', '',
                      str(ckpt_meta.get('experiment_name', 'gersp')))
        return Config.fromstring(text, '.py'), text, name
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 -- a config that does not parse
        where = config or f"{checkpoint}'s stored config"
        raise ExportError(f'cannot read {where}: {type(e).__name__}: '
                          f'{str(e).strip().splitlines()[0] if str(e) else ""}'
                          ) from e


def _bands(in_channels: int, rgb: bool) -> List[str]:
    if in_channels == 3:
        return ['R', 'G', 'B'] if rgb else ['B', 'G', 'R']
    return [f'channel {i}' for i in range(in_channels)]


def backbone_metadata(src: str,
                      ckpt: dict,
                      config: Optional[str] = None,
                      input_size: Optional[int] = None,
                      prefix: str = 'backbone.',
                      date: Optional[str] = None) -> dict:
    """Everything a user of the exported weights needs, JSON types only.

    The one writer of these fields: the ``meta`` of the mmpretrain export
    and of ``publish_model.py``, the sidecar JSON, the model card and timm's
    ``config.json`` all come from here. ``normalization`` keeps the keys the
    evaluation reads (``mean``/``std`` on the 0-255 scale,
    ``channel_order``); ``backbone_cfg`` is the mmpretrain backbone config
    the evaluation builds the backbone from.
    """
    import mmgersp
    from mmgersp.apis.recipe import crop_size
    ckpt_meta = ckpt.get('meta', {}) or {}
    cfg, cfg_text, cfg_name = checkpoint_config(src, ckpt_meta, config)
    model = cfg.model
    preproc = model.get('data_preprocessor', {}) or {}
    to_rgb = bool(preproc.get('to_rgb', False))
    mean = [float(m) for m in preproc.get('mean', [])]
    std = [float(s) for s in preproc.get('std', [])]
    loader = cfg.get('train_dataloader', {}) or {}
    size = input_size or crop_size(loader)
    if size is None:
        raise ExportError('no (LoadImage)RandomResizedCrop in the config: '
                          'pass --input-size')
    backbone_cfg = dict(model.backbone)
    in_channels = int(backbone_cfg.get('in_channels', 3))
    train_cfg = cfg.get('train_cfg', {}) or {}
    sampler = loader.get('sampler', {}) or {}
    dataset = loader.get('dataset', {}) or {}
    datasets = dataset.get('datasets', [dataset] if dataset else [])
    return _plain(dict(
        method=model.get('type'),
        paper=PAPER if model.get('type') == 'GeRSP' else None,
        backbone_cfg=backbone_cfg,
        bands=_bands(in_channels, to_rgb),
        input_scale='0-255 (pixel values as decoded; mean/std below on '
        'this scale)',
        normalization=dict(
            mean=mean,
            std=std,
            # mmpretrain loads BGR; to_rgb=True means the network saw RGB
            channel_order='RGB' if to_rgb else 'BGR',
            to_rgb=to_rgb,
            value_range='0-255'),
        normalization_0_1=dict(mean=[round(m / 255, 6) for m in mean],
                               std=[round(s / 255, 6) for s in std]),
        input_size=size,
        prefix=prefix,
        config=dict(name=cfg_name, path=config, text=cfg_text),
        training=dict(
            loop=train_cfg.get('type'),
            max_epochs=train_cfg.get('max_epochs'),
            max_iters=train_cfg.get('max_iters'),
            epoch=ckpt_meta.get('epoch'),
            iter=ckpt_meta.get('iter'),
            seed=ckpt_meta.get('seed'),
            batch_per_process=dict(n_rs=sampler.get('n_rs'),
                                   n_nat=sampler.get('n_nat')),
            data=[dict(type=d.get('type'), data_root=d.get('data_root'))
                  for d in datasets],
            time=ckpt_meta.get('time')),
        source=_source_info(src),
        mmgersp_version=mmgersp.__version__,
        mmgersp_commit=mmgersp_commit(),
        licence=LICENCE,
        licence_note=LICENCE_NOTE,
        date=date or time.strftime('%Y%m%d')))


# ---------------------------------------------------------------------------
# formats
# ---------------------------------------------------------------------------
_NOT_SUPPORTED = ('--format {fmt} supports mmpretrain ResNet backbones only '
                  '(depth 18/34/50/101/152, style pytorch, 3 input channels, '
                  'no deep stem or avg-down: the torchvision layout); this '
                  'backbone is {what}: not supported, use --format '
                  'mmpretrain')
# ResNet arguments that keep torchvision's layout at these values
_TORCHVISION_LAYOUT = dict(in_channels=3, stem_channels=64, base_channels=64,
                           num_stages=4, strides=(1, 2, 2, 2),
                           dilations=(1, 1, 1, 1), style='pytorch',
                           deep_stem=False, avg_down=False, expansion=None,
                           conv_cfg=None)


def resnet_depth(backbone_cfg: Optional[dict], fmt: str) -> int:
    """The depth of a torchvision-compatible ResNet config, else an error.

    torchvision's (and timm's) ``resnetN`` is mmpretrain's ``ResNet`` with
    ``style='pytorch'`` (stride on the 3x3 conv), a 64-channel 7x7 stem and
    1x1-conv shortcuts: the keys *and* the computation are the same. V1c/V1d
    (deep stem, avg-down), caffe style, dilation or another input width
    change one or the other, so they are refused by name.
    """
    if not backbone_cfg:
        raise ExportError(f'--format {fmt} needs the backbone config: the '
                          "checkpoint stores none (meta['cfg']); pass "
                          '--config CONFIG')
    kind = str(backbone_cfg.get('type', '?')).split('.')[-1]
    if kind != 'ResNet':
        raise ExportError(_NOT_SUPPORTED.format(fmt=fmt, what=kind))
    depth = backbone_cfg.get('depth')
    if depth not in _RESNET_DEPTHS:
        raise ExportError(_NOT_SUPPORTED.format(
            fmt=fmt, what=f'ResNet depth={depth}'))
    for key, want in _TORCHVISION_LAYOUT.items():
        value = backbone_cfg.get(key, want)
        if isinstance(value, list):
            value = tuple(value)
        if value != want:
            raise ExportError(_NOT_SUPPORTED.format(
                fmt=fmt, what=f'ResNet with {key}={value!r} (torchvision: '
                f'{want!r})'))
    norm = str((backbone_cfg.get('norm_cfg') or {}).get('type', 'BN'))
    if norm not in ('BN', 'SyncBN', 'BN2d'):
        raise ExportError(_NOT_SUPPORTED.format(
            fmt=fmt, what=f'ResNet with norm_cfg type {norm!r}'))
    return int(depth)


def _mismatch(what: str, missing: Sequence[str], unexpected: Sequence[str],
              shapes: Sequence[str] = ()) -> str:
    """One line naming the tensors two key sets disagree on."""
    parts = []
    for title, keys in (('missing', missing), ('unexpected', unexpected),
                        ('of another shape', shapes)):
        if keys:
            more = f' and {len(keys) - 8} more' if len(keys) > 8 else ''
            parts.append(f'{title}: {", ".join(keys[:8])}{more}')
    return f'{what}: ' + '; '.join(parts)


def compare_keys(reference: Dict[str, torch.Tensor],
                 state: Dict[str, torch.Tensor],
                 what: str) -> None:
    """Raise :class:`ExportError` naming each tensor ``state`` lacks, has
    extra or shapes differently from ``reference``."""
    missing = [k for k in reference if k not in state]
    unexpected = [k for k in state if k not in reference]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}'
              for k, v in reference.items()
              if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        raise ExportError(_mismatch(what, missing, unexpected, shapes))


def torchvision_reference(depth: int) -> 'OrderedDict[str, torch.Tensor]':
    """torchvision ``resnet{depth}``'s tensors without ``fc.*`` (shapes only:
    built on the meta device, nothing is initialised)."""
    import torchvision
    with torch.device('meta'):
        model = getattr(torchvision.models, f'resnet{depth}')()
    return OrderedDict((k, v) for k, v in model.state_dict().items()
                       if not k.startswith('fc.'))


def torchvision_state(state: Dict[str, torch.Tensor],
                      backbone_cfg: Optional[dict],
                      fmt: str = 'torchvision'
                      ) -> 'OrderedDict[str, torch.Tensor]':
    """The backbone tensors (no prefix) in torchvision's key order.

    The names are already torchvision's; this checks the config (see
    :func:`resnet_depth`) and that the tensor set equals ``resnetN``'s
    without ``fc.*``, naming any tensor that differs.
    """
    depth = resnet_depth(backbone_cfg, fmt)
    reference = torchvision_reference(depth)
    compare_keys(reference, state,
                 f'the backbone does not match torchvision resnet{depth}')
    return OrderedDict((k, state[k]) for k in reference)


def timm_config(meta: dict, depth: int) -> dict:
    """timm's ``config.json`` (hub layout) for ``resnet{depth}``, with the
    GeRSP provenance under ``gersp``. Mean/std are on the 0-1 scale timm's
    transforms use; ``crop_pct=1.0``: resize the whole image (remote-sensing
    scenes are not object-centred)."""
    from mmgersp.models.utils import backbone_width
    norm = meta['normalization_0_1']
    size = int(meta['input_size'])
    provenance = {k: v for k, v in meta.items() if k != 'config'}
    provenance['config'] = meta['config']['name']
    return dict(
        architecture=f'resnet{depth}',
        num_classes=0,
        num_features=backbone_width(dict(type='ResNet', depth=depth)),
        pretrained_cfg=dict(
            tag='gersp',
            custom_load=False,
            input_size=[3, size, size],
            fixed_input_size=False,
            interpolation='bilinear',
            crop_pct=1.0,
            crop_mode='center',
            mean=norm['mean'],
            std=norm['std'],
            num_classes=0,
            pool_size=[max(size // 32, 1)] * 2,
            first_conv='conv1',
            classifier='fc',
            license=LICENCE,
            description=f'{meta["method"]} pre-trained ResNet-{depth} '
            f'backbone exported by mmgersp',
            paper_ids='arXiv:2401.04614' if meta.get('paper') else None),
        gersp=provenance)


_SAFETENSORS_DTYPES = {
    torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16',
    torch.bfloat16: 'BF16', torch.int64: 'I64', torch.int32: 'I32',
    torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
    torch.bool: 'BOOL'
}


def safetensors_bytes(state: Dict[str, torch.Tensor],
                      metadata: Optional[Dict[str, str]] = None) -> bytes:
    """``state`` in the safetensors format (what ``safetensors.torch.save``
    writes), without needing the ``safetensors`` package: an 8-byte header
    length, a JSON header (dtype, shape, byte offsets), the raw
    little-endian tensor bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for name, tensor in state.items():
        t = tensor.detach().cpu().contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() \
            if t.numel() else b''
        header[name] = dict(dtype=_SAFETENSORS_DTYPES[t.dtype],
                            shape=list(t.shape),
                            data_offsets=[offset, offset + len(data)])
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)  # tensors start 8-byte aligned
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)


def read_safetensors(path: str) -> 'OrderedDict[str, torch.Tensor]':
    """The tensors of a ``.safetensors`` file, in its header's order."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        (size, ) = struct.unpack('<Q', data[:8])
        header = json.loads(data[8:8 + size])
        header.pop('__metadata__', None)
        dtypes = {v: k for k, v in _SAFETENSORS_DTYPES.items()}
        out = OrderedDict()
        for name, info in header.items():
            begin, end = (8 + size + o for o in info['data_offsets'])
            if end > len(data):
                raise ValueError(f'{name} ends past the end of the file')
            dtype = dtypes[info['dtype']]
            out[name] = torch.frombuffer(
                bytearray(data[begin:end]), dtype=dtype).reshape(
                    info['shape']) if end > begin else torch.empty(
                        info['shape'], dtype=dtype)
        return out
    except (struct.error, ValueError, KeyError, TypeError) as e:
        raise ExportError(f'{path}: not a readable safetensors file '
                          f'({type(e).__name__}: {e})') from e


# ---------------------------------------------------------------------------
# sidecar, model card, the export of several formats at once
# ---------------------------------------------------------------------------
def load_snippet(fmt: str, path: str, meta: dict) -> str:
    """The exact lines that load an export of format ``fmt`` at ``path``."""
    cfg = meta.get('backbone_cfg') or {}
    depth = cfg.get('depth', 50)
    if fmt == 'mmpretrain':
        kind = cfg.get('type', 'ResNet')
        return (f"# in an mmpretrain / mmdet / mmseg config\n"
                f"model = dict(backbone=dict(type={kind!r}, depth={depth}, "
                f"init_cfg=dict(\n    type='Pretrained', checkpoint="
                f"{path!r}, prefix='backbone.')))")
    if fmt == 'torchvision':
        return ('import torch, torchvision\n'
                f'sd = torch.load({path!r}, weights_only=True)\n'
                f'model = torchvision.models.resnet{depth}()\n'
                'model.fc = torch.nn.Identity()  # fc.* are absent: no '
                'classifier is shipped\n'
                'model.load_state_dict(sd, strict=True)  # pooled features\n'
                '# or with a new (random) classifier: strict=False, then '
                'check that only fc.* are missing\n'
                f'# r = torchvision.models.resnet{depth}(num_classes=N)'
                '.load_state_dict(sd, strict=False)\n'
                "# assert set(r.missing_keys) == {'fc.weight', 'fc.bias'} "
                'and not r.unexpected_keys')
    return ('import timm  # a timm with local-dir: (1.0.31 tested)\n'
            f"model = timm.create_model('local-dir:{path}', "
            'pretrained=True)  # num_classes=0: pooled features\n'
            "cfg = timm.data.resolve_data_config({}, model=model); "
            'transform = timm.data.create_transform(**cfg)\n'
            '# or from the weights file alone:\n'
            f"# timm.create_model('resnet{depth}', pretrained=True, "
            'num_classes=0, pretrained_cfg_overlay=dict(\n'
            f"#     file={osp.join(path, TIMM_WEIGHTS)!r}, num_classes=0))")


def sidecar_fields(meta: dict, fmt: str, file_name: str, sha256: str,
                   size: int) -> dict:
    """The sidecar JSON: the file, its hash and how to load it, then
    :func:`backbone_metadata`'s fields (the config by name)."""
    fields = dict(file=file_name, format=fmt, sha256=sha256,
                  size_bytes=size, load=load_snippet(fmt, file_name, meta))
    fields.update({k: v for k, v in meta.items() if k != 'config'})
    fields['config'] = meta['config']['name']
    return fields


def model_card(fields: dict) -> str:
    """A Markdown model card of :func:`sidecar_fields`."""
    norm, norm01 = fields['normalization'], fields['normalization_0_1']
    training = fields['training']
    data = ', '.join(f'{d["type"]} ({d["data_root"]})'
                     for d in training['data']) or 'unknown'
    bpp = training['batch_per_process']
    rows = [
        ('file', f'`{fields["file"]}`'),
        ('format', fields['format']),
        ('sha256', f'`{fields["sha256"]}`'),
        ('method', f'{fields["method"]}' +
         (f' ({fields["paper"]})' if fields.get('paper') else '')),
        ('backbone config', f'`{json.dumps(fields["backbone_cfg"])}`'),
        ('bands (order)', '[' + ', '.join(fields['bands']) + ']'),
        ('input scale', fields['input_scale']),
        ('mean / std (0-255)', f'{norm["mean"]} / {norm["std"]}'),
        ('mean / std (0-1)', f'{norm01["mean"]} / {norm01["std"]}'),
        ('input size (pre-training crop)', f'{fields["input_size"]} px'),
        ('training data', data),
        ('training length', f'{training["iter"]} iterations, '
         f'{training["epoch"]} epochs ({training["loop"]}, planned '
         f'{training["max_iters"] or training["max_epochs"]})'),
        ('samples per step per process', f'{bpp["n_rs"]} RS + '
         f'{bpp["n_nat"]} natural'),
        ('config', fields['config']),
        ('source checkpoint', f'{fields["source"]["checkpoint"]} (sha256 '
         f'`{fields["source"]["sha256"]}`)'),
        ('mmgersp', f'{fields["mmgersp_version"]}, commit '
         f'`{fields["mmgersp_commit"]}`'),
        ('licence', f'{fields["licence"]} ({fields["licence_note"]})'),
        ('date', fields['date']),
    ]
    lines = [f'# {fields["file"]}', '',
             f'{fields["method"]} pre-trained backbone, exported by mmgersp '
             f'({fields["format"]} format).', '',
             '| field | value |', '|---|---|']
    lines += [f'| {k} | {str(v).replace("|", "/")} |' for k, v in rows]
    lines += ['', '## Load', '', '```python', fields['load'], '```', '',
              'Check a download with `sha256sum`: the 8 hex digits in the '
              'name are the start of the hash above.', '']
    return '\n'.join(lines)


def _torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _artifact(out_dir: str, stem: str, fmt: str, meta: dict,
              files: Dict[str, bytes], primary: str) -> dict:
    """One export: ``files`` (relative name -> bytes) under ``out_dir`` (a
    folder ``stem`` when there are several), plus sidecar and card."""
    digest = hashlib.sha256(files[primary]).hexdigest()
    name = f'{stem}-{digest[:8]}'
    folder = len(files) > 1
    path = osp.join(out_dir, name if folder else name + osp.splitext(
        primary)[1])
    size = sum(len(b) for b in files.values())
    fields = sidecar_fields(meta, fmt, osp.basename(path), digest, size)
    card = model_card(fields).encode()
    if folder:
        files = dict(files, **{'README.md': card})
    return dict(format=fmt, path=path, folder=folder, files=files,
                sha256=digest, fields=fields,
                sidecars={path.rsplit('.pth', 1)[0] + '.json':
                          (json.dumps(fields, indent=2) + '\n').encode(),
                          path.rsplit('.pth', 1)[0] + '.md': card})


def _write_folder(path: str, files: Dict[str, bytes]) -> str:
    """Write a folder atomically: fill a temporary one, then rename."""
    tmp = osp.join(osp.dirname(path),
                   f'.{osp.basename(path)}.{os.getpid()}.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        for rel, data in files.items():
            write_atomically(osp.join(tmp, rel),
                             lambda f, data=data: f.write(data))
        old = None
        if osp.exists(path):  # --force: swap, then drop the old folder
            old = tmp + '.old'
            os.replace(path, old)
        os.replace(tmp, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)
        return path
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export_formats(src: str,
                   out_dir: str,
                   formats: Sequence[str] = ('mmpretrain', ),
                   name: Optional[str] = None,
                   config: Optional[str] = None,
                   input_size: Optional[int] = None,
                   prefix: str = 'backbone.',
                   date: Optional[str] = None,
                   force: bool = False) -> List[dict]:
    """Export the student backbone of ``src`` in each of ``formats``.

    Writes into ``out_dir``: ``<name>-<sha8>.pth`` (mmpretrain),
    ``<name>_torchvision-<sha8>.pth`` and the folder
    ``<name>_timm-<sha8>/`` (``config.json``, ``model.safetensors``,
    ``README.md``), each with ``.json`` sidecar and ``.md`` card beside it.
    ``<sha8>`` starts the sha256 of the (weights) file; ``{config}`` in
    ``name`` (the default) stands for the config name. All outputs are
    built and checked before the first byte is written; a failure removes
    whatever this call wrote, so an error leaves nothing behind.

    Returns one dict per format: ``format``, ``path``, ``sha256``,
    ``fields`` (the sidecar).
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f'--format {unknown or formats}: choose from '
                          f'{list(FORMATS)}')
    formats = list(dict.fromkeys(formats))
    ckpt = read_checkpoint(src)
    state = extract_backbone(ckpt, prefix)
    plain = OrderedDict((k[len(prefix):], v) for k, v in state.items())
    meta = backbone_metadata(src, ckpt, config, input_size, prefix, date)
    name = (name or '{config}').replace('{config}', meta['config']['name'])
    out_dir = osp.abspath(out_dir)
    if out_dir.endswith(('.pth', '.pt', '.safetensors')):
        raise ExportError(f'with --format, OUT is a folder (the file names '
                          f'carry their hash); got the file name {out_dir}')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise OutputExistsError(f'output {out_dir} is a file; with --format '
                                'OUT is a folder')
    artifacts = []
    for fmt in formats:
        if fmt == 'mmpretrain':
            files = {'w.pth': _torch_bytes(dict(state_dict=state,
                                                meta=meta))}
            artifacts.append(_artifact(out_dir, name, fmt, meta, files,
                                       'w.pth'))
            continue
        tv = torchvision_state(plain, meta.get('backbone_cfg'), fmt)
        if fmt == 'torchvision':
            artifacts.append(_artifact(
                out_dir, f'{name}_torchvision', fmt, meta,
                {'w.pth': _torch_bytes(tv)}, 'w.pth'))
        else:
            depth = resnet_depth(meta.get('backbone_cfg'), fmt)
            files = {TIMM_WEIGHTS: safetensors_bytes(tv, dict(format='pt')),
                     'config.json': (json.dumps(timm_config(meta, depth),
                                                indent=2) + '\n').encode()}
            artifacts.append(_artifact(out_dir, f'{name}_timm', fmt, meta,
                                       files, TIMM_WEIGHTS))
    for art in artifacts:  # refuse before writing anything
        for path in [art['path'], *art['sidecars']]:
            if art['folder'] and path == art['path']:
                if osp.exists(path) and not force:
                    raise OutputExistsError(f'output {path} already exists; '
                                            'pass --force to replace it')
                continue
            check_output_path(path, src, force)
    created_dir = not osp.exists(out_dir)
    written: List[str] = []
    try:
        os.makedirs(out_dir, exist_ok=True)
        for art in artifacts:
            if art['folder']:
                written.append(_write_folder(art['path'], art['files']))
            else:
                data = next(iter(art['files'].values()))
                written.append(write_atomically(
                    art['path'], lambda f, data=data: f.write(data)))
            for path, data in art['sidecars'].items():
                written.append(write_atomically(
                    path, lambda f, data=data: f.write(data)))
    except BaseException:
        for path in written:
            if osp.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                remove_quietly(path)
        if created_dir:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return [dict(format=a['format'], path=a['path'], sha256=a['sha256'],
                 fields=a['fields']) for a in artifacts]


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
def export_summary(results: List[dict]) -> List[str]:
    """What the export tools print: one line of metadata, one ``FORMAT
    sha256 HASH`` line per output, then the output paths, one per line."""
    meta = results[0]['fields']
    norm, cfg, training = (meta['normalization'], meta['backbone_cfg'],
                           meta['training'])
    lines = [f'{meta["method"]} {cfg.get("type")}'
             f'{"-" + str(cfg["depth"]) if "depth" in cfg else ""}: bands '
             f'{meta["bands"]}, input {meta["input_size"]} px, 0-255 mean '
             f'{norm["mean"]} std {norm["std"]}; trained '
             f'{training["epoch"]} epochs / {training["iter"]} iterations '
             f'of {meta["config"]}; commit {meta["mmgersp_commit"]}']
    lines += [f'{r["format"]:<12} sha256 {r["sha256"]}' for r in results]
    return lines + [r['path'] for r in results]


def exit_on_export_error(main: Callable) -> Callable:
    """``mmgersp.utils.cli.exit_on_error`` plus this module's errors: one
    ``error:`` line instead of a traceback."""
    from mmgersp.utils.cli import exit_on_error
    checked = exit_on_error(main)

    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return checked(*args, **kwargs)
        except (ExportError, NoBackboneError) as e:
            raise SystemExit(f'error: {e}') from e

    return run


# ---------------------------------------------------------------------------
# the other direction: any export (or ImageNet weights) into a backbone
# ---------------------------------------------------------------------------
def read_backbone_weights(path: str, prefix: str = 'backbone.'
                          ) -> Tuple['OrderedDict[str, torch.Tensor]', dict]:
    """Backbone tensors (no prefix) of any of the exported formats.

    * a timm folder (``config.json`` + ``model.safetensors``) or a
      ``.safetensors`` file;
    * an mmpretrain export, a GeRSP training checkpoint (its *student*) or
      an mmpretrain classifier: the ``backbone.*`` tensors;
    * a torchvision state dict (``module.`` stripped): ImageNet weights
      arrive so; its classifier ``fc.*`` is dropped and listed as ignored.

    Returns ``(state, info)``; ``info``: ``format`` and ``ignored`` keys.
    """
    if osp.isdir(path):
        weights = osp.join(path, TIMM_WEIGHTS)
        if not osp.isfile(weights):
            raise ExportError(f'{path} is a folder without {TIMM_WEIGHTS} '
                              '(a timm export holds config.json and '
                              f'{TIMM_WEIGHTS})')
        state, fmt = read_safetensors(weights), 'timm'
    elif path.endswith('.safetensors'):
        state, fmt = read_safetensors(path), 'safetensors'
    else:
        ckpt = read_checkpoint(path)
        state = select_tensors(ckpt, prefix, strip=True)
        fmt = 'mmpretrain'
        if not state:
            state = OrderedDict(
                (k[len('module.'):] if k.startswith('module.') else k, v)
                for k, v in select_tensors(ckpt).items())
            fmt = 'torchvision'
    ignored = [k for k in state if fmt != 'mmpretrain' and
               k.startswith('fc.')]
    for key in ignored:  # a classifier head, not part of the backbone
        del state[key]
    if not state:
        raise ExportError(f'{path} holds no backbone tensors')
    return state, dict(format=fmt, ignored=ignored)


def load_backbone_weights(backbone: nn.Module, path: str,
                          prefix: str = 'backbone.') -> LoadReport:
    """Load ``path`` (any format of :func:`read_backbone_weights`) into
    ``backbone`` strictly: every tensor of the backbone must come from the
    file and every tensor of the file must be used, else an
    :class:`ExportError` names them. Returns the (all-loaded) report."""
    state, _ = read_backbone_weights(path, prefix)
    compare_keys(backbone.state_dict(), state,
                 f'{path} does not fit the {type(backbone).__name__} '
                 'backbone')
    backbone.load_state_dict(state, strict=True)
    report = backbone_load_report(backbone, state)
    if not report.ok:  # cannot happen after a strict load; say so if it does
        raise ExportError(f'{path}: not all tensors loaded:\n'
                          f'{report.format()}')
    return report


