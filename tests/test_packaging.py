"""Packaging: version ranges, the built wheel (with `.mim`), `mim`, and
downstream configs that need no mmgersp import."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from tests.conftest import REPO, shared_path

# What a wheel must carry for `mim train/test/search mmgersp`.
MIM_FILES = ('mmgersp/.mim/model-index.yml',
             'mmgersp/.mim/configs/gersp/gersp_resnet18_1xb16-demo.py',
             'mmgersp/.mim/configs/_base_/default_runtime.py',
             'mmgersp/.mim/configs/benchmarks/mmdet/metafile.yml',
             'mmgersp/.mim/tools/train.py', 'mmgersp/.mim/tools/test.py',
             'mmgersp/.mim/tools/dist_train.sh')


def _ranges(req_file: str) -> dict:
    """``{name: (low, high)}`` of the ``name>=low,<high`` lines of a file."""
    out = {}
    with open(osp.join(REPO, 'requirements', req_file)) as f:
        for line in f:
            m = re.match(r'([\w-]+)>=([\d.]+),<([\d.]+)', line)
            if m:
                out[m.group(1)] = (m.group(2), m.group(3))
    return out


def test_version_check_ranges_equal_requirement_ranges():
    from mmgersp.version import PRETRAIN_REQUIRES
    checked = {name: (low, high)
               for name, (_, low, high) in PRETRAIN_REQUIRES.items()}
    runtime = _ranges('runtime.txt')
    assert {k: runtime[k] for k in ('mmengine', 'mmpretrain')} == {
        k: checked[k] for k in ('mmengine', 'mmpretrain')}
    mim = _ranges('mminstall.txt')
    assert mim['mmengine'] == checked['mmengine']
    assert mim['mmpretrain'] == checked['mmpretrain']
    # mim installs full mmcv, which mmdet 3.x caps below 2.2.0
    assert mim['mmcv'] == ('2.0.0', '2.2.0')
    # the DIOR dataset's own check equals the det extra
    src = open(osp.join(REPO, 'mmgersp', 'datasets', 'dior.py')).read()
    low, high = _ranges('det.txt')['mmdet']
    assert f"'mmdet': (('mmdet', ), '{low}', '{high}')" in src


def test_version_check_names_every_wrong_distribution():
    from mmgersp.version import check_versions
    with pytest.raises(ImportError) as e:
        check_versions({'a': (('no-such-dist-x', 'no-such-dist-y'), '1', '2'),
                        'mmengine': (('mmengine', ), '0.0.1', '0.0.2')})
    msg = str(e.value)
    assert 'no-such-dist-x or no-such-dist-y>=1,<2 (found nothing)' in msg
    assert 'mmengine>=0.0.1,<0.0.2 (found 0.10.7)' in msg
    assert 'make install-core' in msg


# Downstream configs of four libraries, built in a fresh interpreter that
# never imports mmgersp, with the exported GeRSP backbone loaded.
NO_PLUGIN_CONFIGS = (
    'mmpretrain/finetune_gersp-r50_1xb64-coslr-100e_eurosat-tr80.py',
    'mmseg/upernet_gersp-r50_4xb4-80k_loveda-512x512.py',
    'mmrotate/oriented-rcnn-le90_gersp-r50_fpn_1xb2-1x_dota.py',
    'mmdet/faster-rcnn_gersp-r50_fpn_4xb1-24e_dota-hbb-800.py',
)
BUILD_WITHOUT_PLUGIN = r'''
import json, sys
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.utils import import_modules_from_strings
ckpt, results = sys.argv[1], {}
want = torch.load(ckpt, map_location='cpu', weights_only=True)['state_dict']
for path in sys.argv[2:]:
    cfg = Config.fromfile(path)
    imports = cfg.get('custom_imports', {}).get('imports', [])
    import_modules_from_strings(**cfg.get('custom_imports', {'imports': []}))
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    model = MODELS.build(cfg.model)
    model.init_weights()
    got = model.backbone.state_dict()
    same = all(torch.equal(got[k[len('backbone.'):]], v)
               for k, v in want.items())
    results[path] = dict(imports=imports, loaded=same)
results['mmgersp imported'] = any(m.split('.')[0] == 'mmgersp'
                                  for m in sys.modules)
print(json.dumps(results))
'''


def test_downstream_configs_need_no_mmgersp(gersp_r50_backbone, tmp_path):
    paths = [osp.join(REPO, 'configs', 'benchmarks', p)
             for p in NO_PLUGIN_CONFIGS]
    out = subprocess.run(
        [sys.executable, '-c', BUILD_WITHOUT_PLUGIN, gersp_r50_backbone,
         *paths], cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert results.pop('mmgersp imported') is False
    for path in paths:
        assert not any(i.startswith('mmgersp') for i in results[path]['imports'])
        assert results[path]['loaded'], path
    # only the DIOR configs name an mmgersp module, and only the dataset
    # (a config inheriting a DIOR config inherits its custom_imports)
    for path in sorted(os.listdir(osp.join(REPO, 'configs', 'benchmarks',
                                           'mmdet'))):
        if path.endswith('.py'):
            src = open(osp.join(REPO, 'configs', 'benchmarks', 'mmdet',
                                path)).read()
            named = re.findall(r"'(mmgersp[\w.]*)'", src)
            assert set(named) <= ({'mmgersp.datasets.dior'}
                                  if '_dior' in path else set()), path


@pytest.fixture(scope='module')
def wheel_venv(tmp_path_factory):
    """mmgersp built as a wheel from a copy of the tree and installed
    (``--no-deps``, offline) into a scratch venv that sees this
    environment's packages but not the editable mmgersp."""
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    # the files git would commit (not .venv, work_dirs, data, build outputs)
    files = subprocess.run(
        ['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=REPO,
        check=True, capture_output=True).stdout.decode().split('\0')
    for rel in filter(None, files):
        if osp.isfile(osp.join(REPO, rel)):
            os.makedirs(osp.dirname(src / rel), exist_ok=True)
            shutil.copy2(osp.join(REPO, rel), src / rel)
    pip = [sys.executable, '-m', 'pip']
    subprocess.run(pip + ['wheel', '--no-deps', '--no-build-isolation', '-q',
                          '-w', str(tmp / 'dist'), str(src)], check=True)
    wheel = next((tmp / 'dist').glob('mmgersp-*.whl'))
    venv = tmp / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)],
                   check=True)
    py = str(venv / 'bin' / 'python')
    subprocess.run(pip + ['--python', py, 'install', '--no-deps',
                          '--no-index', '-q', str(wheel)], check=True)
    site = subprocess.run(
        [py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        check=True, capture_output=True, text=True).stdout.strip()
    # the project environment after the wheel, without its .pth files (the
    # editable mmgersp finder lives in one)
    with open(osp.join(site, 'zz_project_env.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    return dict(wheel=str(wheel), python=py, site=site, tmp=tmp)


def test_wheel_contents(wheel_venv):
    names = zipfile.ZipFile(wheel_venv['wheel']).namelist()
    for name in MIM_FILES:
        assert name in names
    tops = {n.split('/')[0] for n in names}
    assert tops == {'mmgersp', f'mmgersp-{_version()}.dist-info'}
    assert any(n.endswith('.dist-info/LICENSE') or '/licenses/LICENSE' in n
               for n in names)
    meta = zipfile.ZipFile(wheel_venv['wheel']).read(
        f'mmgersp-{_version()}.dist-info/METADATA').decode()
    requires = re.findall(r'^Requires-Dist: (.+)$', meta, re.M)
    core = [r for r in requires if 'extra ==' not in r]
    assert not any(r.startswith('mmcv') for r in core)
    assert any(r.startswith('mmpretrain') and '<2.0.0' in r for r in core)
    for extra in ('det', 'seg', 'rotate', 'all', 'tests'):
        assert f'Provides-Extra: {extra}' in meta
    assert any(r.startswith('mmrotate-dev') and "extra == \"all\"" in r
               for r in requires)


def _version() -> str:
    from mmgersp.version import __version__
    return __version__


def _run(wheel_venv, *args, **kw):
    return subprocess.run([wheel_venv['python'], *args],
                          cwd=wheel_venv['tmp'], capture_output=True,
                          text=True, env=dict(os.environ,
                                              OMP_NUM_THREADS='1'), **kw)


def test_wheel_imports_from_site_packages(wheel_venv):
    out = _run(wheel_venv, '-c', 'import mmgersp; print(mmgersp.__file__)')
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith(wheel_venv['site'])


def test_mim_search_and_train_from_wheel(wheel_venv):
    mim = ['-c', 'import sys; from mim.cli import cli; sys.exit(cli())']
    out = _run(wheel_venv, *mim, 'search', 'mmgersp')
    assert out.returncode == 0, out.stderr[-2000:]
    assert 'gersp_resnet50_8xb32-coslr-100e_millionaid-in1k' in out.stdout

    # a config path that does not exist here: mim finds it in .mim/configs
    work = wheel_venv['tmp'] / 'mim_train'
    out = _run(wheel_venv, *mim, 'train', 'mmgersp',
               'configs/gersp/gersp_resnet18_1xb16-demo.py',
               '--rs-root', shared_path('aid'),
               '--natural-root', shared_path('cifar10', 'train'),
               '--work-dir', str(work), '--cfg-options',
               'train_cfg.max_iters=2', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False',
               'model.queue_len=64')
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert '.mim/configs/gersp/gersp_resnet18_1xb16-demo.py' in out.stdout
    assert (work / 'iter_2.pth').is_file()


def test_mim_test_from_wheel(wheel_venv, gersp_r50_backbone):
    """`mim test mmgersp` on a downstream config of the wheel's .mim: the
    EuroSAT linear probe, evaluated on an AID split with the exported
    GeRSP backbone (its head untrained: only the run is checked)."""
    from tests.conftest import load_tool
    aid = shared_path('aid')
    split = str(wheel_venv['tmp'] / 'aid_split')
    tool = load_tool('dataset_converters/scene_cls_split.py')
    assert tool.main([aid, '--train-ratio', '0.8', '--out-dir', split]) == 0
    loader = 'test_dataloader'
    out = _run(
        wheel_venv, '-c',
        'import sys; from mim.cli import cli; sys.exit(cli())', 'test',
        'mmgersp', 'linear-probe_gersp-r50_1xb256-steplr-100e_eurosat-tr80.py',
        '--checkpoint', gersp_r50_backbone, '--work-dir',
        str(wheel_venv['tmp'] / 'mim_test'), '--cfg-options',
        'model.head.num_classes=30', f'{loader}.dataset.data_root={aid}',
        f'{loader}.dataset.data_prefix=',
        f'{loader}.dataset.ann_file={split}/test.txt',
        f'{loader}.dataset.classes={split}/classes.txt',
        f'{loader}.dataset.indices=4', f'{loader}.batch_size=2',
        f'{loader}.num_workers=0', f'{loader}.persistent_workers=False')
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    assert '.mim/tools/test.py' in out.stdout
    assert "'accuracy/top1':" in out.stdout
