"""Shared fixtures: the real sample data in ../shared/data and tiny configs.

Tests that need ../shared/data skip when it is absent on a developer's
machine, and fail when CI=true (CI always has it).
"""
import os
import os.path as osp
import copy

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = osp.abspath(
    os.environ.get('MMGERSP_SHARED_DATA', osp.join(REPO, '..', 'shared',
                                                   'data')))
DEMO_CONFIG = osp.join(REPO, 'configs', 'gersp', 'gersp_resnet18_1xb16-demo.py')


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
    from mmgersp.apis.recipe import set_max_iters
    from mmgersp.utils import set_data_roots

    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_roots(cfg, aid, cifar)
    set_max_iters(cfg, max_iters)
    cfg.work_dir = work_dir
    cfg.model.queue_len = 64
    cfg.train_dataloader.batch_size = n_rs + n_nat
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.sampler.update(n_rs=n_rs, n_nat=n_nat, seed=0)
    for ds in cfg.train_dataloader.dataset.datasets:
        for t in ds.pipeline:
            if t.type == 'LoadImageRandomResizedCrop':
                t.scale = img_size
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

    work = str(tmp_path_factory.mktemp('gersp_r50'))
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=2)
    cfg.model.backbone.depth = 50
    cfg.model.neck.update(in_channels=2048, hid_channels=2048)
    cfg.model.cls_head.in_channels = 2048
    Runner.from_cfg(cfg).train()
    return export_backbone(osp.join(work, 'iter_2.pth'),
                           osp.join(work, 'gersp_r50_backbone.pth'))
