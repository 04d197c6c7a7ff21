"""compare_pretraining.py: the protocol's statistics; a tiny run end to end.

The run is tiny on purpose (CI budget): 4 AID classes x 8 images split into
a pre-training half (labels dropped) and an evaluation half, CIFAR-10 as the
natural stream, GeRSP and random init, 2 seeds (the second in processes of
its own, ``--jobs 2``), 2 iterations at 32 px.
"""
import json
import os
import os.path as osp

import pytest

from tests.conftest import load_tool

TOOL = 'analysis_tools/compare_pretraining.py'


def test_auto_queue_len():
    tool = load_tool(TOOL)
    # half of 300 RS images, in whole steps of 8 keys
    assert tool.auto_queue_len(300, 8) == 144
    assert tool.auto_queue_len(300, 32) == 128
    assert tool.auto_queue_len(10, 32) == 32  # at least one step


def test_defaults_are_the_protocol(tmp_path):
    tool = load_tool(TOOL)
    args = tool.parse_args(['--work-dir', str(tmp_path)])
    shared = osp.normpath(osp.join(tool.REPO, '..', 'shared', 'data'))
    assert osp.normpath(args.eval_root) == osp.join(shared, 'aid_pool')
    assert osp.normpath(args.natural_root) == osp.join(
        shared, 'cifar10_pool', 'train')
    assert args.rs_root is None and args.arch == 'resnet18'
    assert args.seeds == [0, 1, 2, 3, 4] and args.iters == tool.DEFAULT_ITERS
    assert (args.lr, args.jobs) == (tool.DEFAULT_LR, tool.DEFAULT_JOBS)
    quick = tool.parse_args(['--work-dir', str(tmp_path), '--quick'])
    assert (quick.seeds, quick.iters) == (tool.QUICK_SEEDS, tool.QUICK_ITERS)
    assert tool.parse_args(['--work-dir', str(tmp_path), '--quick',
                            '--iters', '7']).iters == 7
    for bad in (['--arch', 'resnet19'], ['--jobs', '0']):
        with pytest.raises(SystemExit):
            tool.parse_args(['--work-dir', str(tmp_path), *bad])


def _records(values):
    return [dict(variant=v, seed=s, knn_top1=x - 1, linear_top1=x,
                 knn_ci=[0, 100], linear_ci=[0, 100])
            for v, xs in values.items() for s, x in enumerate(xs)]


def test_paired_differences_and_verdict():
    tool = load_tool(TOOL)
    variants = ['gersp', 'supervised', 'random']
    records = _records({'gersp': [52, 53, 55, 51, 54],
                        'supervised': [51, 54, 52, 51, 53],
                        'random': [50, 50, 50, 50, 50]})
    diffs = tool.compare(records, variants)
    labels = [d['label'] for d in diffs]
    assert labels == ['GeRSP minus random init',
                      'supervised, natural only minus random init',
                      'GeRSP minus supervised, natural only']
    g = diffs[0]['linear_top1']
    # diffs 2 3 5 1 4: mean 3, sd sqrt(2.5), t_{0.975,4} = 2.776445
    assert g['diffs'] == [2, 3, 5, 1, 4] and g['mean'] == 3
    assert g['low'] == pytest.approx(1.0367568, abs=1e-6)
    rows = tool.summarise(records, variants)
    notes = tool.verdict(rows, diffs, quick=False)
    assert notes == [
        'every pre-training beats random init on the CV-logistic probe '
        '(paired 95% CI above 0): the protocol separates pre-training from '
        'none at this setting'
    ]
    # random 51 50 50 51 52: GeRSP diffs 1 3 5 0 2 (mean 2.2, t-interval
    # low -0.19), supervised 0 4 2 0 1 (low -0.68) -> no statement
    records = _records({'gersp': [52, 53, 55, 51, 54],
                        'supervised': [51, 54, 52, 51, 53],
                        'random': [51, 50, 50, 51, 52]})
    notes = tool.verdict(rows, tool.compare(records, variants), quick=True)
    assert notes[0] == tool.QUICK_NOTE
    assert '(not: GeRSP; supervised, natural only)' in notes[1]
    assert 'says nothing about them' in notes[1]
    table = tool.format_table(rows, diffs, 100)
    assert '| GeRSP minus random init | 5 | +3.00 [+1.04, +4.96] | ' \
        '+3.00 [+1.04, +4.96] |' in table


def test_compare_tiny_run_resumes(aid_root, cifar_train_root, tmp_path,
                                  capsys):
    tool = load_tool(TOOL)
    pool = tmp_path / 'pool'  # 4 classes x 8 AID images
    for cls in sorted(os.listdir(aid_root))[:4]:
        os.makedirs(pool / cls)
        for name in sorted(os.listdir(osp.join(aid_root, cls)))[:8]:
            os.symlink(osp.join(aid_root, cls, name), pool / cls / name)
    work = str(tmp_path / 'cmp')
    argv = ['--eval-root', str(pool), '--natural-root', cifar_train_root,
            '--work-dir', work, '--variants', 'gersp', 'random', '--iters',
            '2', '--img-size', '32', '--n-rs', '4', '--n-nat', '4',
            '--workers', '0', '--eval-share', '0.5', '--bootstrap', '50']
    # seed 0 in this process, then seed 1 with --jobs 2: one process per
    # cell (this script with --one-cell), seed 0 resumed
    tool.main(argv + ['--seeds', '0', '--jobs', '1'])
    argv += ['--seeds', '0', '1', '--jobs', '2']
    summary = tool.main(argv)
    out = capsys.readouterr().out
    assert '2 of 4 cells done before' in out
    for variant in ('gersp', 'random'):
        log = open(osp.join(work, 'cells', f'{variant}_seed1.log')).read()
        assert (variant == 'gersp') == ('gersp seed 1: iter 2/2' in log)
        assert not osp.exists(osp.join(work, 'cells', f'{variant}_seed0.log'))

    # the fixed split: every image once, pre-training and evaluation disjoint
    lines = open(osp.join(work, 'data', 'split.txt')).read().split('\n')
    parts = dict(line.split() for line in lines if line)
    assert len(parts) == 32
    assert summary['split'] == dict(pretrain=16, probe_train=8, probe_test=8)
    for part in ('pretrain', 'probe_train', 'probe_test'):
        per_class = {p.split('/')[0] for p, v in parts.items() if v == part}
        assert len(per_class) == 4  # stratified
    rs = {osp.relpath(osp.join(d, f), osp.join(work, 'data', 'rs'))
          for d, _, fs in os.walk(osp.join(work, 'data', 'rs')) for f in fs}
    assert rs == {p for p, v in parts.items() if v == 'pretrain'}
    assert json.load(open(osp.join(work, 'settings.json')))['queue_len'] == 8

    cells = {}
    for variant in ('gersp', 'random'):
        for seed in (0, 1):
            cell = json.load(open(osp.join(work, 'cells',
                                           f'{variant}_seed{seed}.json')))
            cells[variant, seed] = cell
            for m in ('knn', 'linear'):
                low, high = cell[f'{m}_ci']
                assert low <= cell[f'{m}_top1'] <= high
                assert cell[f'{m}_top1'] == 100 * cell[
                    f'{m}_correct'].count('1') / 8
    assert len(cells['gersp', 0]['curves']['loss_contrast']) == 2
    assert not osp.exists(osp.join(work, 'cells', 'gersp_seed0',
                                   'iter_2.pth'))
    diff = summary['differences'][0]
    assert diff['label'] == 'GeRSP minus random init'
    assert diff['linear_top1']['diffs'] == [
        cells['gersp', s]['linear_top1'] - cells['random', s]['linear_top1']
        for s in (0, 1)]
    assert out.count('elapsed') == 4 and 'left about 0 s' in out
    assert 'fewer than 5: this table cannot rank methods' in out
    table = open(osp.join(work, 'table.md')).read()
    assert table in out + '\n' and 'GeRSP minus random init | 2 |' in table
    knn = summary['rows'][0]['knn_top1']  # GeRSP: mean +- std of 2 seeds
    assert f'| GeRSP | 2 | {knn["mean"]:.2f} +- {knn["std"]:.2f} |' in table
    assert osp.getsize(osp.join(work, 'comparison.png')) > 1000

    # resume: nothing is trained again, the same summary comes out
    again = tool.main(argv)
    out = capsys.readouterr().out
    assert '4 of 4 cells done before' in out and 'elapsed' not in out
    assert again == summary

    # other settings in the same work dir are refused, naming what changed
    with pytest.raises(SystemExit, match='iters'):
        tool.main(argv + ['--iters', '3'])
