"""FeatureEvalHook in real GeRSP training runs: one process and 2-rank DDP."""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

from mmengine.hooks import Hook
from mmengine.dist import get_rank
from mmpretrain.registry import HOOKS

from mmgersp.engine.hooks.feature_eval_hook import FeatureEvalHook  # noqa
from mmgersp.evaluation import FeatureEvalData, evaluate_backbone, \
    load_backbone
from tests.conftest import REPO, tiny_gersp_cfg

EVAL = dict(type='FeatureEvalHook', by_epoch=False, interval=2, img_size=32,
            max_per_class=4)


@HOOKS.register_module()
class FeatureEvalRecorderHook(Hook):
    """Saves what each rank's message hub holds (imported by the DDP run)."""
    priority = 'LOWEST'

    def after_train(self, runner):
        hub = runner.message_hub
        out = {k: hub.get_scalar(f'feature_eval/{k}').data[0].tolist()
               for k in ('knn_top1', 'linear_top1')}
        with open(osp.join(runner.work_dir, f'rank{get_rank()}.json'),
                  'w') as f:
            json.dump(out, f)


def scalars(work):
    path, = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    records = [json.loads(line) for line in open(path)]
    return [r for r in records if 'knn_top1' in r]


def test_hook_evaluates_the_student_and_logs(aid_root, cifar_train_root,
                                             tmp_path):
    from mmengine.runner import Runner
    work = str(tmp_path / 'work')
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=4)
    cfg.custom_hooks.append(dict(EVAL, data_root=aid_root,
                                 eval_before_train=True))
    cfg.log_level = 'INFO'
    runner = Runner.from_cfg(cfg)
    runner.train()

    evals = scalars(work)
    assert [r['step'] for r in evals] == [0, 2, 4]
    hub = runner.message_hub
    knn = hub.get_scalar('feature_eval/knn_top1').data[0].tolist()
    linear = hub.get_scalar('feature_eval/linear_top1').data[0].tolist()
    assert knn == [r['knn_top1'] for r in evals]
    assert linear == [r['linear_top1'] for r in evals]
    assert all(0 <= v <= 100 for v in knn + linear)
    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'FeatureEvalHook after iteration 4: knn_top1' in log
    assert runner.model.backbone.training  # back in train mode

    # the numbers are those of the student saved at iteration 4
    student, _ = load_backbone(osp.join(work, 'iter_4.pth'))
    data = FeatureEvalData(aid_root, img_size=32, max_per_class=4)
    again = evaluate_backbone(student, data)
    assert (again['knn_top1'], again['linear_top1']) == (knn[-1], linear[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_hook_under_ddp_unwraps_and_broadcasts(aid_root, cifar_train_root,
                                               tmp_path):
    work = str(tmp_path / 'work')
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=2,
                         n_rs=2, n_nat=2)
    cfg.custom_imports = dict(
        imports=['mmgersp', 'mmgersp.engine.hooks.feature_eval_hook',
                 'tests.test_engine.test_hooks.test_feature_eval_hook'],
        allow_failed_imports=False)
    cfg.custom_hooks += [dict(EVAL, data_root=aid_root),
                         dict(type='FeatureEvalRecorderHook')]
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    cfg.log_level = 'INFO'
    cfg_file = str(tmp_path / 'ddp_cfg.py')
    cfg.dump(cfg_file)
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', 'tools/train.py', cfg_file,
         '--launcher', 'pytorch', '--work-dir', work],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    log = open(glob.glob(osp.join(work, '*', '*.log'))[0]).read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    rank0, rank1 = (json.load(open(osp.join(work, f'rank{r}.json')))
                    for r in range(2))
    assert rank0 == rank1  # rank 0 computed, every rank logged the same
    evals = scalars(work)
    assert [r['step'] for r in evals] == [2]
    assert [r['knn_top1'] for r in evals] == rank0['knn_top1']
