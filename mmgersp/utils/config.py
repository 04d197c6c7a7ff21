"""Config edits and checks of every run: data roots, ``--cfg-options`` keys."""
import difflib
import inspect
from typing import Iterable, Optional

from mmengine.config import Config

from mmgersp.datasets.class_folders import list_class_folders


def count_class_folders(root: str) -> int:
    """Number of class sub-folders of a natural-image tree (at least 2)."""
    n = len(list_class_folders(root, what='natural-image root'))
    if n < 2:
        # one class: the classification loss is 0 from step 1, nothing
        # is learnt from the natural stream
        raise ValueError(
            f'natural-image root {root!r} has {n} class sub-folder; the '
            'natural stream needs at least 2 classes (<root>/<class>/<image>)')
    return n


def set_data_roots(cfg: Config,
                   rs_root: Optional[str] = None,
                   natural_root: Optional[str] = None) -> Config:
    """Point the streams of a pre-training config at user folders.

    ``rs_root`` is any folder of images (any depth); ``natural_root`` a
    class-folder tree, read with mmpretrain's ``CustomDataset``, and the
    classifier (GeRSP's ``cls_head``, an ``ImageClassifier``'s ``head``) is
    resized to its number of classes. Works for the dual-stream configs and
    the single-stream baselines (RS-only MoCo, natural-only supervised).
    """
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'DualStreamDataset':
        rs_cfg, nat_cfg = dataset.datasets
    elif dataset.type == 'RSImageFolder':
        rs_cfg, nat_cfg = dataset, None
    else:
        rs_cfg, nat_cfg = None, dataset
    for flag, root, stream in (('--rs-root', rs_root, rs_cfg),
                               ('--natural-root', natural_root, nat_cfg)):
        if root is not None and stream is None:
            raise ValueError(f'{flag}: this config has no such stream '
                             f'(train_dataloader.dataset is {dataset.type})')
    if rs_root is not None:
        rs_cfg.update(data_root=rs_root, ann_file='', data_prefix='')
    if natural_root is not None:
        num_classes = count_class_folders(natural_root)
        nat_cfg.update(type='CustomDataset', data_root=natural_root,
                       ann_file='', data_prefix='')
        nat_cfg.pop('split', None)
        model = cfg.model
        classifier = model.get('cls_head') or (
            model.head if model.type == 'ImageClassifier' else None)
        if classifier is not None:
            classifier.num_classes = num_classes
        if 'num_classes' in dataset:
            dataset.num_classes = num_classes
    return cfg


def check_cfg_options(cfg: Config, options: Optional[Iterable[str]]) -> None:
    """Refuse ``--cfg-options`` whose top-level key the config lacks.

    ``merge_from_dict`` adds unknown keys silently, so a typo such as
    ``train_dataloaderr.batch_size=8`` would change nothing. Keys of the
    config and arguments of mmengine's ``Runner`` are accepted.
    """
    from mmengine.runner import Runner
    known = set(cfg.keys()) | set(
        inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    for option in options or ():
        key = option.split('.')[0]
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else \
                '; check the spelling against the config'
            raise ValueError(
                f"--cfg-options {option}: unknown top-level config key "
                f"'{key}'{hint}")


def check_max_iters(cfg: Config) -> None:
    """Refuse an iteration-based ``train_cfg.max_iters`` below 1 up front.

    mmengine would fail later, building the lr schedule (its ``begin`` /
    ``end``), without naming the key to change.
    """
    max_iters = cfg.get('train_cfg', {}).get('max_iters')
    if max_iters is not None and (isinstance(max_iters, bool)
                                  or not isinstance(max_iters, int)
                                  or max_iters < 1):
        raise ValueError(
            f'train_cfg.max_iters must be an integer >= 1, got {max_iters!r}:'
            ' set it in the config or with --cfg-options '
            'train_cfg.max_iters=N')
