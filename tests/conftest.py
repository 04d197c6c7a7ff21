"""Shared fixtures: the real sample data in ../shared/data and tiny configs.

Tests that need ../shared/data skip when it is absent on a developer's
machine, and fail when CI=true (CI always has it).
"""
import copy
import importlib.util
import os
import os.path as osp
import subprocess
import sys
from types import ModuleType

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.abspath(
    os.environ.get('MMGERSP_SHARED_DATA', osp.join(REPO, '..', 'shared',
                                                   'data')))
DEMO_CONFIG = osp.join(REPO, 'configs', 'gersp',
                       'gersp_resnet18_1xb16-demo.py')


def load_tool(relpath: str) -> ModuleType:
    """``tools/<relpath>`` imported as a module, so tests call its functions
    and ``main(argv)`` as the shell would; the one loader of tool scripts.

    Cached in ``sys.modules`` under a name of its path (``tools/test.py``
    must not shadow the ``test`` package). The tool's folder goes at the
    end of ``sys.path``, as running the script puts it first, so its
    sibling modules (``bench_utils``, ``demo_data``) import.
    """
    path = osp.join(REPO, 'tools', relpath)
    name = 'mmgersp_tool_' + relpath.replace('/', '_')[:-len('.py')]
    if name not in sys.modules:
        folder = osp.dirname(path)
        if folder not in sys.path:
            sys.path.append(folder)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def run_tool(relpath: str, *args: str, check: bool = True,
             timeout: float = 900, threads: int = 2
             ) -> subprocess.CompletedProcess:
    """``python tools/<relpath> args`` from the repository root, as a user
    runs it (a fresh process), its output captured as text.

    With ``check`` a non-zero exit fails the test, showing the output's end.
    """
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([sys.executable, osp.join('tools', relpath), *args],
                          cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if check:
        assert proc.returncode == 0, \
            proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(autouse=True, scope='session')
def mmpretrain_scope():
    """Build bare transforms/models in mmpretrain's scope, as configs do."""
    import mmgersp  # noqa: F401
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=True)


def shared_path(*parts: str) -> str:
    """Path under ../shared/data; skip (or fail in CI) when missing."""
    path = osp.join(SHARED_DATA, *parts)
    if not osp.exists(path):
        msg = f'shared sample data not found: {path}'
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(msg + ' (CI=true: it must be present)')
        pytest.skip(msg)  # only off CI: with CI=true it failed above
    return path


@pytest.fixture(scope='session')
def aid_root() -> str:
    return shared_path('aid')


@pytest.fixture(scope='session')
def cifar_train_root() -> str:
    return shared_path('cifar10', 'train')


def tiny_gersp_cfg(aid: str, cifar: str, work_dir: str, max_iters: int = 4,
                   n_rs: int = 4, n_nat: int = 4, img_size: int = 32):
    """The demo config shrunk to seconds on CPU, on AID + CIFAR-10."""
    import mmgersp  # noqa: F401
    from mmengine.config import Config
    from mmgersp.apis.recipe import (set_batch_composition, set_crop_size,
                                     set_max_iters)
    from mmgersp.utils import set_data_roots

    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_roots(cfg, aid, cifar)
    set_max_iters(cfg, max_iters)
    cfg.work_dir = work_dir
    cfg.model.queue_len = 64
    loader = cfg.train_dataloader
    set_batch_composition(loader, n_rs, n_nat)
    set_crop_size(loader, img_size)
    loader.update(num_workers=0, persistent_workers=False)
    loader.sampler.seed = 0
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.log_level = 'WARNING'
    return copy.deepcopy(cfg)


@pytest.fixture(scope='session')
def gersp_r50_backbone(aid_root, cifar_train_root, tmp_path_factory) -> str:
    """A ResNet-50 student backbone exported from a tiny real GeRSP run.

    Two iterations of the paper's ResNet-50 model (32 px, 4 + 4 images) on
    AID + CIFAR-10, then ``export_backbone``; downstream tests load it.
    """
    from mmengine.runner import Runner
    from mmgersp.apis.export import export_backbone
    from mmgersp.apis.recipe import set_backbone

    work = str(tmp_path_factory.mktemp('gersp_r50'))
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=2)
    set_backbone(cfg.model, 'resnet50')
    Runner.from_cfg(cfg).train()
    return export_backbone(osp.join(work, 'iter_2.pth'),
                           osp.join(work, 'gersp_r50_backbone.pth'))
