"""tools/analysis_tools/gpu_report.py end to end on CPU (--tiny): a smoke
test of every stage and of the report's JSON and markdown."""
import json

import pytest

from tests.conftest import run_tool


def _run(*argv):
    return run_tool('analysis_tools/gpu_report.py', *argv, check=False,
                    timeout=600, threads=1)


@pytest.fixture(scope='module')
def report(aid_root, cifar_train_root, tmp_path_factory):
    out = tmp_path_factory.mktemp('gpu_report')
    work = tmp_path_factory.mktemp('gpu_report_work')
    wheels = tmp_path_factory.mktemp('wheels')  # empty: import check only
    proc = _run('--out', str(out), '--work-dir', str(work), '--tiny',
                '--wheels', str(wheels), '--rs-root', aid_root,
                '--natural-root', cifar_train_root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, json.loads((out / 'gpu_report.json').read_text()), work


def test_every_stage_ran(report):
    out, rep, _ = report
    # what comes back from a device run: three small files
    assert sorted(p.name for p in out.iterdir()) == [
        'gpu_report.json', 'gpu_report.log', 'gpu_report.md']
    assert {k: v['status'] for k, v in rep['stages'].items()} == dict(
        install='ok', synthetic='ok', loader='ok', train='ok')
    assert rep['tiny'] is True and rep['seconds'] > 0
    assert rep['machine']['cpus'] >= 1
    assert rep['stages']['install']['versions']['mmpretrain'] == '1.2.0'


def test_synthetic_rows(report):
    rows = report[1]['stages']['synthetic']['rows']
    assert [(r['batch'], r['precision'], r['layout'], r['colour_stage'])
            for r in rows] == [(4, 'fp32', 'nchw', False),
                               (4, 'fp32', 'nchw', True)]
    for row in rows:
        assert row['gersp_samples_per_s'] > 0
        assert row['moco_samples_per_s'] > 0
        assert row['gersp_host_sync_ops_per_step'] == {}
        assert row['ratio_time_per_sample'] > 0 and row['ratio_peak_mem'] > 0


def test_loader_rows(report):
    st = report[1]['stages']['loader']
    assert [(r['colour'], r['workers']) for r in st['alone']] == [
        ('cpu', 0), ('device', 0)]
    assert all(r['cpu_ms_per_sample'] > 0 for r in st['alone'])
    assert [(r['colour'], r['workers']) for r in st['feeding']] == [
        ('cpu', 0), ('device', 0)]
    assert all(0 < r['data_fraction'] < 1 for r in st['feeding'])


def test_train_resume_export(report):
    _, rep, work = report
    st = rep['stages']['train']
    assert st['iters'] == 4 and st['final_iter'] == 4
    assert st['resumed_from'] == 'iter_2.pth'
    assert st['backbone_strict_load'] is True and st['backbone_tensors'] > 0
    assert (work / 'train' / 'backbone.pth').exists()
    log = (work / 'stage_train.log').read_text()
    assert 'resumed' in log.lower()


def test_markdown_report(report):
    out, rep, _ = report
    md = (out / 'gpu_report.md').read_text()
    for name in ('install', 'synthetic', 'loader', 'train'):
        assert f'## {name}: ok' in md
    assert rep['command'] in md
    assert '| batch | precision | layout | colour_stage |' in md


def test_budget_and_skips(tmp_path):
    proc = _run('--out', str(tmp_path), '--work-dir', str(tmp_path / 'w'),
                '--skip', 'install', 'loader', 'train', '--budget-s', '0')
    assert proc.returncode == 0, proc.stderr[-2000:]
    rep = json.loads((tmp_path / 'gpu_report.json').read_text())
    assert {k: v['status'] for k, v in rep['stages'].items()} == dict(
        install='skipped', synthetic='out of time', loader='skipped',
        train='skipped')


def test_data_stages_need_roots(tmp_path):
    proc = _run('--out', str(tmp_path), '--skip', 'synthetic')
    assert proc.returncode == 2
    assert '--rs-root' in proc.stderr and "'loader', 'train'" in proc.stderr
