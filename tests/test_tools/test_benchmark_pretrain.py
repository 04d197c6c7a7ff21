"""tools/analysis_tools/benchmark_pretrain.py in a tiny CPU setting.

Checks what the tool reports (JSON fields, table), not speed.
"""
import json
import os.path as osp
import subprocess
import sys

import pytest

from tests.conftest import REPO

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_pretrain.py')
TINY = ['--device', 'cpu', '--depth', '18', '--img-size', '32',
        '--batch-size', '4', '--iters', '2', '--warmup', '1',
        '--queue-len', '64']


def _load_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('benchmark_pretrain', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _check_model(r: dict, n_rs: int, n_nat: int) -> None:
    assert r['n_rs'] == n_rs and r['n_nat'] == n_nat
    assert r['iters'] == len(r['s_per_iter']) == len(r['data_s'])
    for key in ('samples_per_s', 's_per_iter_median', 'compute_s_median',
                'cpu_s_median', 'supervised_equiv_img_per_s'):
        assert r[key] > 0, key
    assert r['s_per_iter_min'] <= r['s_per_iter_median'] <= \
        r['s_per_iter_max']
    assert 0 <= r['data_fraction'] <= 1
    assert r['peak_mem_abs_mb'] > 0 and r['peak_mem_mb'] >= 0
    assert r['mem_kind'].startswith('cpu_')


def test_synthetic_cli_writes_json(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run(
        [sys.executable, TOOL, *TINY, '--rounds', '2', '--threads', '1',
         '--json', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '| gersp | 4 + 4 |' in proc.stdout
    assert '| moco | 4 + 0 |' in proc.stdout
    assert 'GeRSP/MoCo time per sample' in proc.stdout

    res = json.loads(out.read_text())
    _check_model(res['gersp'], 4, 4)
    _check_model(res['moco'], 4, 0)
    assert res['gersp']['units_per_sample'] == 7.0
    assert res['moco']['units_per_sample'] == 4.0
    assert res['ratio_time_per_sample'] == (
        res['gersp']['s_per_iter_median'] / res['moco']['s_per_iter_median'])
    assert res['ratio_floor'] == 1.75
    assert res['ratio_peak_mem'] > 0
    t = res['targets']['time_per_sample_ratio']
    assert t['met'] == (t['value'] <= 1.85)
    assert res['config']['optim_wrapper']['type'] == 'OptimWrapper'
    assert res['env']['device'] == 'cpu'
    # The GeRSP step (train_step + EMA hook) never waits on the device;
    # mmpretrain's MoCo reads its queue pointer and EMA step count with
    # int()/bool(), which the counter must see.
    assert res['gersp']['host_sync_ops_per_step'] == {}
    assert res['moco']['host_sync_ops_per_step'].get(
        '_local_scalar_dense', 0) >= 1


def test_real_data_loaders(aid_root, cifar_train_root, tmp_path):
    tool = _load_tool()
    res = tool.main([
        *TINY, '--data', 'real', '--workers', '0', '--rs-root', aid_root,
        '--natural-root', cifar_train_root, '--no-sync-check',
        '--json', str(tmp_path / 'real.json')
    ])
    _check_model(res['gersp'], 4, 4)
    _check_model(res['moco'], 4, 0)
    assert res['gersp']['host_sync_ops_per_step'] is None
    assert all(t > 0 for t in res['gersp']['data_s'])
    assert json.loads((tmp_path / 'real.json').read_text())['moco']


def test_data_only_mode(aid_root, cifar_train_root):
    tool = _load_tool()
    res = tool.main([
        *TINY, '--data-only', '--workers', '0', '1', '--rs-root', aid_root,
        '--natural-root', cifar_train_root
    ])
    rows = res['data_only']
    assert [(r['model'], r['workers']) for r in rows] == [
        ('gersp', 0), ('moco', 0), ('gersp', 1), ('moco', 1)]
    for r in rows:
        assert r['samples_per_s'] > 0 and len(r['s_per_batch']) == 2
        n_img = r['n_rs'] + r['n_nat']
        assert abs(r['decoded_img_per_s'] / r['samples_per_s'] -
                   n_img / r['n_rs']) < 1e-6
    assert rows[0]['n_nat'] == 4 and rows[1]['n_nat'] == 0


def test_bad_arguments_fail_early():
    tool = _load_tool()
    for argv in (['--batch-size', '24', '--queue-len', '64'],
                 ['--data', 'real', '--rounds', '2']):
        with pytest.raises(SystemExit):
            tool.parse_args(argv)
