"""tools/analysis_tools/benchmark_pretrain.py in a tiny CPU setting.

Checks what the tool reports (JSON fields, table), not speed.
"""
import json

import pytest

from tests.conftest import load_tool, run_tool, shared_path

TOOL = 'analysis_tools/benchmark_pretrain.py'
TINY = ['--device', 'cpu', '--arch', 'resnet18', '--img-size', '32',
        '--batch-size', '4', '--iters', '2', '--warmup', '1',
        '--queue-len', '64', '--threads', '1']


def _load_tool():
    return load_tool(TOOL)


def _check_model(r: dict, n_rs: int, n_nat: int) -> None:
    assert r['n_rs'] == n_rs and r['n_nat'] == n_nat
    assert r['iters'] == len(r['s_per_iter']) == len(r['data_s'])
    for key in ('samples_per_s', 's_per_iter_median', 'compute_s_median',
                'cpu_s_median', 'supervised_equiv_img_per_s'):
        assert r[key] > 0, key
    assert r['s_per_iter_p10'] <= r['s_per_iter_median'] <= \
        r['s_per_iter_p90']
    assert 0 <= r['data_fraction'] <= 1
    assert r['peak_mem_abs_mb'] > 0 and r['peak_mem_mb'] >= 0
    assert r['mem_kind'].startswith('cpu_')


def test_synthetic_cli_writes_json(tmp_path):
    out = tmp_path / 'bench.json'
    proc = run_tool(TOOL, *TINY, '--rounds', '2', '--synthetic-colour',
                    '--json', str(out), timeout=600, threads=1)
    assert '| gersp | 4 | 4 |' in proc.stdout
    assert '| moco | 4 | 0 |' in proc.stdout
    assert 'GeRSP/MoCo time_per_sample: ' in proc.stdout

    res = json.loads(out.read_text())
    _check_model(res['gersp'], 4, 4)
    _check_model(res['moco'], 4, 0)
    assert res['gersp']['units_per_sample'] == 7.0
    assert res['moco']['units_per_sample'] == 4.0
    assert res['ratio_time_per_sample'] == (
        res['gersp']['s_per_iter_median'] / res['moco']['s_per_iter_median'])
    assert res['ratio_floor'] == 1.75
    assert res['ratio_peak_mem'] > 0
    assert 'targets' not in res  # they live in docs/benchmark.md
    assert res['optim_wrapper']['type'] == 'OptimWrapper'
    assert res['env']['device'] == 'cpu'
    # The GeRSP step (train_step with the device colour stage + EMA hook)
    # never waits on the device; mmpretrain's MoCo reads its queue pointer
    # and EMA step count with int()/bool(), which the counter must see.
    assert res['gersp']['host_sync_ops_per_step'] == {}
    assert res['moco']['host_sync_ops_per_step'].get(
        '_local_scalar_dense', 0) >= 1


def test_real_data_gersp(aid_root, cifar_train_root, tmp_path):
    tool = _load_tool()
    res = tool.main([
        *TINY, '--data', 'real', '--models', 'gersp', '--workers', '0',
        '--rs-root', aid_root, '--natural-root', cifar_train_root,
        '--memory-breakdown', '--json', str(tmp_path / 'real.json')
    ])
    _check_model(res['gersp'], 4, 4)
    assert 'moco' not in res
    # real batches carry the colour parameters; the stage adds no sync
    assert res['gersp']['host_sync_ops_per_step'] == {}
    assert res['gersp']['memory_breakdown']['saved_for_backward_mb'] > 0
    assert all(t > 0 for t in res['gersp']['data_s'])
    assert json.loads((tmp_path / 'real.json').read_text())['gersp']


def test_data_only_cpu_time_per_sample(aid_root):
    nat = shared_path('imagenet_sample', 'train')
    tool = _load_tool()
    rows = []
    for colour in ('device', 'cpu'):
        rows += tool.main([
            *TINY, '--data-only', '--workers', '0', '1', '--colour', colour,
            '--rs-root', aid_root, '--natural-root', nat
        ])['data_only']
    assert [(r['colour'], r['workers']) for r in rows] == [
        ('device', 0), ('device', 1), ('cpu', 0), ('cpu', 1)]
    for r in rows:
        assert r['samples_per_s'] > 0 and len(r['s_per_batch']) == 2
        assert r['decoded_img_per_s'] == pytest.approx(2 * r['samples_per_s'])
        # with a worker, its CPU time is read from /proc and counted
        assert r['cpu_ms_per_sample'] > 0.1


def test_bad_arguments_fail_early():
    tool = _load_tool()
    for argv in (['--batch-size', '24', '--queue-len', '64'],
                 ['--data', 'real', '--rs-root', 'a', '--natural-root', 'b'],
                 ['--data-only'],  # no data roots: no default in the tool
                 ['--iters', '2', '--rounds', '3']):
        with pytest.raises(SystemExit):
            tool.parse_args(argv)


def test_arch_sets_both_models_and_depth_is_its_alias():
    tool = _load_tool()
    assert tool.parse_args([]).arch == 'resnet50'  # the paper's backbone
    assert tool.parse_args(['--depth', '18']).arch == 'resnet18'
    with pytest.raises(SystemExit):
        tool.parse_args(['--depth', '101'])
    args = tool.parse_args(['--arch', 'convnext-tiny', '--queue-len', '64',
                            '--batch-size', '8', '--n-nat', '4',
                            '--img-size', '48'])
    cfg = tool.gersp_config(args)
    assert cfg.model.backbone.type == 'ConvNeXt'
    assert cfg.model.neck.in_channels == cfg.model.neck.hid_channels == 768
    assert cfg.model.cls_head.in_channels == 768
    assert cfg.model.queue_len == 64
    loader = cfg.train_dataloader
    assert (loader.sampler.n_rs, loader.sampler.n_nat, loader.batch_size) == (
        8, 4, 12)
    assert [t.scale for ds in loader.dataset.datasets for t in ds.pipeline
            if t.type.endswith('RandomResizedCrop')] == [48, 48]
