"""multi_seed.py with a tiny mmpretrain linear classifier on the AID sample."""
import json
import os
import os.path as osp
import statistics

from mmgersp.evaluation import (deterministic_split, scan_class_folders,
                                write_ann_file)
from tests.conftest import run_tool

TOOL = 'analysis_tools/multi_seed.py'

# ResNet-18 (random init, frozen) + linear head, 32 px, 1 epoch
CONFIG = '''
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, out_indices=(3, ), frozen_stages=4),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=30, in_channels=512,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))
data_preprocessor = dict(num_classes=30, mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=32),
            dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_prefix={aid!r},
                 ann_file={train!r}, pipeline=pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_prefix={aid!r},
                 ann_file={test!r}, pipeline=pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
default_hooks = dict(checkpoint=None)
log_level = 'INFO'
'''


def run(*args):
    return run_tool(TOOL, *args).stdout


def test_two_seeds_mean_std_and_resume(aid_root, tmp_path):
    _, samples = scan_class_folders(aid_root)
    train, test = deterministic_split(samples, 0.5, 0, max_per_class=4)
    cfg = tmp_path / 'linear_r18_aid32.py'
    cfg.write_text(CONFIG.format(
        aid=aid_root, train=write_ann_file(train, str(tmp_path / 'train.txt')),
        test=write_ann_file(test, str(tmp_path / 'test.txt'))))
    work = str(tmp_path / 'work')
    printed = run(str(cfg), '--seeds', '0', '1', '--work-dir', work,
                  '--cfg-options', 'train_dataloader.batch_size=8')

    report = json.load(open(osp.join(work, 'multi_seed.json')))
    assert report['split'] == 'test' and report['seeds'] == [0, 1]
    s = report['summary']['accuracy/top1']
    values = [r['metrics']['accuracy/top1'] for r in report['runs']]
    assert len(values) == 2 and all(0 <= v <= 100 for v in values)
    assert s['n'] == 2
    assert abs(s['mean'] - statistics.mean(values)) < 1e-9
    assert abs(s['std'] - statistics.stdev(values)) < 1e-9
    assert f'{s["mean"]:.2f} +- {s["std"]:.2f}' in printed

    # one work dir per seed, trained with that seed and the overrides
    for seed in (0, 1):
        seed_dir = osp.join(work, f'seed_{seed}')
        assert json.load(open(osp.join(seed_dir, 'final_metrics.json')))[
            'seed'] == seed
        logs = [osp.join(d, f) for d, _, fs in os.walk(seed_dir)
                for f in fs if f.endswith('.log')]
        log = open(logs[0]).read()
        assert f'seed: {seed}\n' in log and 'batch_size=8' in log
    assert 'batch_size=8' in open(osp.join(work, 'config.py')).read()

    # a finished seed is reused, not retrained
    again = run(str(cfg), '--seeds', '0', '1', '--work-dir', work)
    assert again.count('reusing') == 2 and 'training in' not in again
    assert json.load(open(osp.join(work, 'multi_seed.json')))['summary'] == \
        report['summary']
