"""Fixtures for the downstream benchmark configs: tools run on real samples.

The tools are called through their ``main(argv)``, as from the shell.
"""
import pytest

from tests.conftest import load_tool, shared_path


@pytest.fixture(scope='session')
def aid_split(aid_root, tmp_path_factory) -> str:
    """AID split 8:2 per class by the scene split tool (stands in for
    EuroSAT/RESISC45, which are not in the shared samples)."""
    out = str(tmp_path_factory.mktemp('aid_split'))
    tool = load_tool('dataset_converters/scene_cls_split.py')
    assert tool.main([aid_root, '--train-ratio', '0.8', '--out-dir', out]) == 0
    return out


@pytest.fixture(scope='session')
def dota_crops(tmp_path_factory) -> dict:
    """The six shared DOTA images cut by the split tool, both protocols:
    ``{'hbb-800': <root with train/>, 'obb-1024': <root with trainval/>}``."""
    images = shared_path('dota', 'images')
    labels = shared_path('dota', 'labelTxt')
    tool = load_tool('dataset_converters/dota_split.py')
    roots = {}
    for protocol, split in (('hbb-800', 'train'), ('obb-1024', 'trainval')):
        root = tmp_path_factory.mktemp(protocol)
        assert tool.main([
            '--protocol', protocol, '--img-dirs', images, '--ann-dirs',
            labels, '--out-dir', str(root / split), '--nproc', '1'
        ]) == 0
        roots[protocol] = str(root)
    return roots


# Pre-training recipes whose exports the Swin-T / ConvNeXt-T downstream
# configs load (configs/gersp/gersp_<arch>_8xb32-coslr-100e_millionaid-in1k.py)
MODERN_ARCHS = ('swin-tiny', 'convnext-tiny')


def pretrain_and_export(arch: str, aid: str, cifar: str,
                        work_dir: str) -> dict:
    """Two CPU iterations of a paper-scale recipe, shrunk by the tools'
    recipe edits (4 + 4 images of 64 px, a 64-key queue), then exported.

    Returns the run's facts for the tests: ``export`` (path), ``iters``,
    ``queue_ptr``, ``losses`` (last logged values), ``student`` and
    ``teacher`` backbone states and the training ``cfg``.
    """
    import uuid

    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmgersp.apis.export import export_backbone
    from mmgersp.apis.recipe import (set_batch_composition, set_crop_size,
                                     set_max_iters)
    from mmgersp.utils import set_data_roots
    from tests.conftest import REPO

    import os.path as osp
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'gersp',
        f'gersp_{arch}_8xb32-coslr-100e_millionaid-in1k.py'))
    set_data_roots(cfg, aid, cifar)
    loader = cfg.train_dataloader
    set_batch_composition(loader, 4, 4)
    set_crop_size(loader, 64)
    loader.update(num_workers=0, persistent_workers=False, pin_memory=False)
    cfg.model.queue_len = 64
    if cfg.model.backbone.type == 'SwinTransformer':
        # 64 px: the last stages' maps are smaller than Swin's 7 px window
        cfg.model.backbone.pad_small_map = True
    set_max_iters(cfg, 2)
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    cfg.work_dir = work_dir
    cfg.experiment_name = f'{arch}_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    hub = runner.message_hub
    return dict(
        export=export_backbone(osp.join(work_dir, 'iter_2.pth'),
                               osp.join(work_dir, f'gersp_{arch}.pth')),
        iters=runner.iter,
        queue_ptr=int(model.queue_ptr),
        losses={k: hub.get_scalar(f'train/{k}').current()
                for k in ('loss_contrast', 'loss_cls')},
        student=model.backbone.state_dict(),
        teacher=model.teacher['backbone'].state_dict(),
        cfg=cfg)


@pytest.fixture(scope='session')
def gersp_exports(aid_root, cifar_train_root, tmp_path_factory):
    """``arch -> run`` of :func:`pretrain_and_export`, once per session."""
    runs = {}

    def run(arch: str) -> dict:
        if arch not in runs:
            work = str(tmp_path_factory.mktemp(f'gersp_{arch}'))
            runs[arch] = pretrain_and_export(arch, aid_root,
                                             cifar_train_root, work)
        return runs[arch]

    return run
