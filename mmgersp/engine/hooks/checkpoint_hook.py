"""mmengine's CheckpointHook: crash-safe saves, a resume that falls back."""
import io
import os
import os.path as osp
import re
import shutil
import time
from collections import deque
from typing import List, Optional

import mmengine
import torch
from mmengine.dist import is_main_process
from mmengine.fileio import get_file_backend
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import weights_to_cpu
from mmengine.utils import apply_to, get_git_hash
from mmpretrain.registry import HOOKS

from mmgersp.utils.checkpoint import (CheckpointError, check_checkpoint,
                                      commit, is_no_space, is_temporary,
                                      no_space_error, remove_quietly,
                                      require_checkpoint,
                                      scope_checkpoint_loads, temporary_path,
                                      write_text_atomically)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same options) that never loses the last checkpoint.

    mmengine 0.10.7 deletes the oldest checkpoint *before* writing the new
    one and writes it in place, so a kill during a save with
    ``max_keep_ckpts=1`` leaves a partial file and a ``last_checkpoint``
    naming a deleted one. Here a save:

    1. writes to a temporary file in the same folder, fsyncs and renames it;
    2. only then points ``last_checkpoint`` at it (also atomically);
    3. only then deletes checkpoints beyond ``max_keep_ckpts``.

    A kill at any moment leaves at least one complete checkpoint that
    ``last_checkpoint`` names. Temporaries of interrupted saves are removed
    at the next start.

    Without ``file_client_args`` (deprecated by mmengine) the hook reaches
    storage through ``get_file_backend`` only: mmengine's own
    ``before_train`` and ``Runner.save_checkpoint`` build a ``FileClient``
    whatever the arguments, which logs two deprecation warnings in every
    run (see :meth:`_prepare` and :func:`checkpoint_of`).

    Resume (``resume=True``): without ``load_from`` the newest checkpoint
    that loads is used -- the files of this hook's ``filename_tmpl`` and
    ``last_checkpoint``'s target, highest step first -- and each newer one
    skipped is logged with the reason (missing, empty, truncated, not a
    checkpoint). A ``load_from`` that cannot load is one error naming
    the file and the reason. Loads run inside the scoped allow-list of
    :func:`mmgersp.utils.checkpoint.allow_mmengine_checkpoint_types`.
    """

    def before_run(self, runner) -> None:
        scope_checkpoint_loads(runner)
        load_from = runner._load_from  # what --resume / load_from gave
        self._resumed_from = None
        if runner._resume and load_from is None:
            runner._load_from = self._resumed_from = \
                self._newest_loadable(runner)
        elif load_from is not None and '://' not in str(load_from):
            require_checkpoint(
                load_from, 'resume from' if runner._resume else 'load')

    def _out_dir(self, runner) -> str:
        """The folder checkpoints go to, as ``before_train`` computes it."""
        out_dir = self.out_dir or runner.work_dir
        if out_dir != runner.work_dir:
            out_dir = osp.join(out_dir,
                               osp.basename(runner.work_dir.rstrip(osp.sep)))
        return out_dir

    def _step_of(self, name: str) -> Optional[int]:
        head, _, tail = self.filename_tmpl.partition('{}')
        m = re.fullmatch(re.escape(head) + r'(\d+)' + re.escape(tail), name)
        return int(m.group(1)) if m else None

    def _candidates(self, runner) -> List[str]:
        """The checkpoints of ``filename_tmpl`` and ``last_checkpoint``'s
        target, newest (highest step) first."""
        out_dir, found = self._out_dir(runner), {}
        if osp.isdir(out_dir):
            for name in os.listdir(out_dir):
                if self._step_of(name) is not None:
                    found[osp.join(out_dir, name)] = self._step_of(name)
        last = self._pointed_at(osp.join(runner.work_dir, 'last_checkpoint'))
        if last and not any(osp.exists(last) and osp.samefile(p, last)
                            for p in found):
            step = self._step_of(osp.basename(last))
            found[last] = step if step is not None else float('inf')
        return sorted(found, key=found.get, reverse=True)

    @staticmethod
    def _pointed_at(pointer: str) -> str:
        """The path in a ``last_checkpoint`` file ('' when there is none)."""
        if not osp.isfile(pointer):
            return ''
        with open(pointer) as f:
            return f.read().strip()

    def _newest_loadable(self, runner) -> Optional[str]:
        candidates = self._candidates(runner)
        for path in candidates:
            reason = check_checkpoint(path)
            if reason is None:
                runner.logger.info(f'resume: newest checkpoint that loads: '
                                   f'{path}')
                return path
            runner.logger.warning(f'resume: skipped {path}: {reason}')
        if candidates:
            raise CheckpointError(
                self._out_dir(runner),
                f'none of its {len(candidates)} checkpoints loads (reasons '
                'logged above); move them away to start from scratch',
                'resume from')
        runner.logger.info(f'resume: no checkpoint in {self._out_dir(runner)}'
                           '; starting from scratch')
        return None

    def _prepare(self, runner) -> None:
        """mmengine's ``CheckpointHook.before_train`` without its
        ``FileClient``: the output folder, the storage backend, and the
        best/kept checkpoints of a resumed run."""
        self.file_backend = get_file_backend(
            self.out_dir or runner.work_dir, backend_args=self.backend_args)
        self.out_dir = self._out_dir(runner)
        runner.logger.info(f'Checkpoints will be saved to {self.out_dir}.')
        hub = runner.message_hub
        if self.save_best is not None:
            if len(self.key_indicators) == 1:
                self.best_ckpt_path = hub.get_info('best_ckpt')
            else:
                self.best_ckpt_path_dict = {
                    key: hub.get_info(f'best_ckpt_{key}')
                    for key in self.key_indicators}
        if self.max_keep_ckpts > 0:
            keep = list(hub.get_info('keep_ckpt_ids', []))
            while len(keep) > self.max_keep_ckpts:
                step = keep.pop(0)
                if is_main_process():
                    self._remove_checkpoint(osp.join(
                        self.out_dir, self.filename_tmpl.format(step)))
            self.keep_ckpt_ids = deque(keep, self.max_keep_ckpts)

    def before_train(self, runner) -> None:
        if self.file_client_args is not None:  # asked for: mmengine's path
            super().before_train(runner)
        else:
            self._prepare(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend) \
                and osp.isdir(self.out_dir):
            self._finish_interrupted_save(runner)
            for name in os.listdir(self.out_dir):
                # '.iter_4.pth.<pid>.tmp': a save that was interrupted
                if is_temporary(name) and self._step_of(
                        name[1:].rsplit('.', 2)[0]) is not None:
                    remove_quietly(osp.join(self.out_dir, name))
                    runner.logger.warning(
                        f'removed {name}, left by an interrupted save')

    def _finish_interrupted_save(self, runner) -> None:
        """After an automatic resume: point ``last_checkpoint`` at the
        checkpoint resumed from, then do the removals its save recorded (a
        kill can come after the rename and before either)."""
        resumed = self._resumed_from
        if resumed is None or osp.dirname(osp.abspath(resumed)) != \
                osp.abspath(self.out_dir):
            return
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        if self._pointed_at(pointer) != resumed:
            write_text_atomically(pointer, resumed)
        step = self._step_of(osp.basename(resumed))
        self._remove_outdated([
            s for s in runner.message_hub.get_info('ckpts_to_remove', [])
            if step is not None and s < step
        ])

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not isinstance(self.file_backend, LocalBackend) or self.args or \
                self.file_client_args is not None:
            # remote storage has no rename, a FileClient or extra save
            # arguments were asked for: mmengine's own save
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        # recorded in the new checkpoint: a run killed before the removal
        # finishes it when resumed from that checkpoint
        runner.message_hub.update_info('ckpts_to_remove', outdated)
        self.last_ckpt = osp.join(self.out_dir,
                                  self.filename_tmpl.format(step))
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        if not is_main_process():
            return
        tmp = temporary_path(self.last_ckpt)
        try:
            checkpoint = checkpoint_of(
                runner, meta, self.by_epoch, self.save_optimizer,
                self.save_param_scheduler)
            runner.call_hook('before_save_checkpoint', checkpoint=checkpoint)
            with io.BytesIO() as f:
                torch.save(checkpoint, f)
                self.file_backend.put(f.getvalue(), tmp)
            commit(tmp, self.last_ckpt)
        except Exception as e:
            remove_quietly(tmp)
            if is_no_space(e):
                raise no_space_error(self.last_ckpt, e) from e
            raise
        write_text_atomically(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        self._remove_outdated(outdated)

    def _remove_outdated(self, steps: List[int]) -> None:
        for step in steps:
            self._remove_checkpoint(
                osp.join(self.out_dir, self.filename_tmpl.format(step)))

    @staticmethod
    def _remove_checkpoint(path: str) -> None:
        if osp.isdir(path):  # checkpoints saved by deepspeed are folders
            shutil.rmtree(path)
        else:
            remove_quietly(path)


def checkpoint_of(runner, meta: Optional[dict], by_epoch: bool,
                  save_optimizer: bool = True,
                  save_param_scheduler: bool = True) -> dict:
    """The checkpoint ``Runner.save_checkpoint`` (mmengine 0.10) writes.

    The same dict, built here because mmengine's writer always creates a
    deprecated ``FileClient``; the hook writes it through its file backend.
    """
    meta = dict(meta or {})
    # after_train_epoch runs before the runner counts the epoch
    meta.setdefault('epoch', runner.epoch + 1 if by_epoch else runner.epoch)
    meta.setdefault('iter', runner.iter if by_epoch else runner.iter + 1)
    meta.update(
        cfg=runner.cfg.pretty_text,
        seed=runner.seed,
        experiment_name=runner.experiment_name,
        time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
        mmengine_version=mmengine.__version__ + get_git_hash())
    dataset = runner.train_dataloader.dataset
    if hasattr(dataset, 'metainfo'):
        meta.update(dataset_meta=dataset.metainfo)
    model = runner.model.module if is_model_wrapper(runner.model) else \
        runner.model
    to_cpu = (lambda x: hasattr(x, 'cpu'), lambda x: x.cpu())
    checkpoint = dict(
        meta=meta,
        state_dict=weights_to_cpu(model.state_dict()),
        message_hub=apply_to(runner.message_hub.state_dict(), *to_cpu))
    if save_optimizer:
        checkpoint['optimizer'] = apply_to(runner.optim_wrapper.state_dict(),
                                           *to_cpu)
    schedulers = runner.param_schedulers
    if save_param_scheduler and schedulers is not None:
        checkpoint['param_schedulers'] = {
            name: [s.state_dict() for s in group]
            for name, group in schedulers.items()
        } if isinstance(schedulers, dict) else [
            s.state_dict() for s in schedulers]
    return checkpoint
