"""Publish the GeRSP student backbone: weights + everything needed to use them.

    python tools/model_converters/publish_model.py CKPT OUT_DIR
        [--name gersp_resnet50_100e] [--config CONFIG] [--date YYYYMMDD]
        [--input-size 224]

Writes ``OUT_DIR/<name>_<date>-<sha256[:8]>.pth`` (OpenMMLab's naming; the
hash is of the file itself, so a download can be checked with
``sha256sum``) holding ``{'state_dict': {'backbone.*': tensor}, 'meta'}``,
written atomically (an existing file is replaced only with ``--force``).
``meta`` records what users otherwise have to guess:

* ``normalization``: ``mean``/``std`` (0-255 scale) and ``channel_order``
  of the tensors the backbone was trained on, plus ``to_rgb`` for configs
  whose loader reads BGR;
* ``input_size``: the pre-training crop side;
* ``backbone``: the mmpretrain backbone config (type, depth, ...);
* ``config``: the source config's name and full text;
* ``training``: loop type, planned and reached epochs/iterations, seed,
  samples per step, data roots.

It contains only tensors, strings and numbers: it loads with
``torch.load(path, weights_only=True)``. The config is taken from ``--config``
or else from the text mmengine stores in every training checkpoint.
"""
import argparse
import hashlib
import io
import json
import os.path as osp
import re
import time



def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='GeRSP training checkpoint')
    parser.add_argument('out_dir', help='folder for the published file')
    parser.add_argument('--name', help='file name stem (default: the '
                        'config name)')
    parser.add_argument('--config', help='config the checkpoint was trained '
                        'with (default: the copy inside the checkpoint)')
    parser.add_argument('--date', default=time.strftime('%Y%m%d'),
                        help='date in the file name (default: today)')
    parser.add_argument('--input-size', type=int,
                        help='override the pre-training crop side')
    parser.add_argument('--prefix', default='backbone.')
    parser.add_argument('--force', action='store_true',
                        help='replace an existing published file')
    return parser.parse_args(argv)


def sha256sum(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _plain(obj):
    """Config values -> JSON types (tuples become lists), for weights_only."""
    return json.loads(json.dumps(obj, default=str))


def _find(node, type_name: str):
    """First dict whose ``type`` ends with ``type_name`` anywhere in a config
    subtree (so ``LoadImageRandomResizedCrop`` counts as a crop)."""
    if isinstance(node, dict):
        if str(node.get('type', '')).endswith(type_name):
            return node
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for child in node:
            found = _find(child, type_name)
            if found is not None:
                return found
    return None


def load_config(args, ckpt_meta: dict):
    from mmengine.config import Config
    if args.config:
        with open(args.config) as f:
            text = f.read()
        return Config.fromfile(args.config), text, osp.splitext(
            osp.basename(args.config))[0]
    text = ckpt_meta.get('cfg')
    if not text:
        raise SystemExit(f'{args.checkpoint} stores no config; pass --config')
    name = re.sub(r'_\d{8}_\d{6}$', '',
                  str(ckpt_meta.get('experiment_name', 'gersp')))
    return Config.fromstring(text, '.py'), text, name


def build_meta(cfg, cfg_text: str, cfg_name: str, ckpt_meta: dict,
               args) -> dict:
    import mmgersp
    preproc = cfg.model.get('data_preprocessor', {}) or {}
    to_rgb = bool(preproc.get('to_rgb', False))
    crop = _find(cfg.get('train_dataloader', {}), 'RandomResizedCrop')
    input_size = args.input_size or (crop.get('scale') if crop else None)
    if input_size is None:
        raise SystemExit('no (LoadImage)RandomResizedCrop in the config: pass '
                         '--input-size')
    if isinstance(input_size, (list, tuple)):
        input_size = list(input_size)
    train_cfg = cfg.get('train_cfg', {}) or {}
    sampler = cfg.get('train_dataloader', {}).get('sampler', {}) or {}
    datasets = cfg.get('train_dataloader', {}).get('dataset', {}).get(
        'datasets', [])
    return _plain(dict(
        normalization=dict(
            mean=list(preproc.get('mean', [])),
            std=list(preproc.get('std', [])),
            # mmpretrain loads BGR; to_rgb=True means the network saw RGB
            channel_order='RGB' if to_rgb else 'BGR',
            to_rgb=to_rgb,
            value_range='0-255'),
        input_size=input_size,
        backbone=dict(cfg.model.backbone),
        prefix=args.prefix,
        config=dict(name=cfg_name, path=args.config, text=cfg_text),
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
        source=dict(checkpoint=osp.basename(args.checkpoint),
                    sha256=sha256sum(args.checkpoint)),
        mmgersp_version=mmgersp.__version__,
        date=args.date))


def publish(args) -> str:
    import torch

    from mmgersp.apis.export import extract_backbone
    from mmgersp.utils.checkpoint import (check_output_path, read_checkpoint,
                                          write_atomically)
    ckpt = read_checkpoint(args.checkpoint)
    ckpt_meta = ckpt.get('meta', {}) or {}
    state = extract_backbone(ckpt, args.prefix)
    cfg, cfg_text, cfg_name = load_config(args, ckpt_meta)
    meta = build_meta(cfg, cfg_text, cfg_name, ckpt_meta, args)
    name = args.name or cfg_name

    # the name holds the hash of the file's bytes: serialise first
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state, meta=meta), buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    final = osp.join(args.out_dir, f'{name}_{args.date}-{digest[:8]}.pth')
    check_output_path(final, args.checkpoint, args.force)
    write_atomically(final, lambda f: f.write(data))
    n_values = sum(v.numel() for v in state.values())
    print(f'{len(state)} tensors ({n_values / 1e6:.2f} M values) of the '
          f'student backbone; input {meta["input_size"]} px, '
          f'{meta["normalization"]["channel_order"]} mean '
          f'{meta["normalization"]["mean"]} std '
          f'{meta["normalization"]["std"]}; trained '
          f'{meta["training"]["epoch"]} epochs / '
          f'{meta["training"]["iter"]} iterations of {cfg_name}')
    print(f'sha256 {digest}')
    print(osp.abspath(final))
    return final


def main(argv=None) -> str:
    from mmgersp.utils.checkpoint import exit_on_error
    return exit_on_error(publish)(parse_args(argv))


if __name__ == '__main__':
    main()
