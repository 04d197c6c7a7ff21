"""Config edits and checks shared by tools/train.py, test.py and demo.py."""
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
    """Point the two streams of a GeRSP config at user folders.

    ``rs_root`` is any folder of images (any depth); ``natural_root`` a
    class-folder tree, read with mmpretrain's ``CustomDataset``, and the
    classifier is resized to its number of classes.
    """
    rs_cfg, nat_cfg = cfg.train_dataloader.dataset.datasets
    if rs_root is not None:
        rs_cfg.update(data_root=rs_root, ann_file='', data_prefix='')
    if natural_root is not None:
        num_classes = count_class_folders(natural_root)
        nat_cfg.update(type='CustomDataset', data_root=natural_root,
                       ann_file='', data_prefix='')
        nat_cfg.pop('split', None)
        cfg.model.cls_head.num_classes = num_classes
        cfg.train_dataloader.dataset.num_classes = num_classes
    return cfg


def set_max_iters(cfg: Config, max_iters: int) -> Config:
    """Shorten an iteration-based config, schedules included."""
    if cfg.train_cfg.get('type') != 'IterBasedTrainLoop':
        raise ValueError('set_max_iters needs an IterBasedTrainLoop config')
    if isinstance(max_iters, bool) or not isinstance(max_iters, int) or \
            max_iters < 1:
        raise ValueError(f'--max-iters must be an integer >= 1, got '
                         f'{max_iters!r}')
    cfg.train_cfg.max_iters = max_iters
    for scheduler in cfg.get('param_scheduler', None) or []:
        if not scheduler.get('by_epoch', True):
            scheduler.end = max_iters
    ckpt = cfg.default_hooks.checkpoint
    ckpt.interval = min(ckpt.interval, max_iters)
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
