"""The paper's baselines and GeRSP-200 as pre-training configs.

Each config must differ from the official 100-epoch GeRSP run only in what
makes it the baseline (read from the configs as a user gets them), and must
train two iterations on AID + CIFAR-10 through mmengine's Runner, shrunk by
the same overrides the comparison tool applies, then export a backbone.
"""
import argparse
import os.path as osp

import pytest
import torch

from tests.conftest import REPO, load_tool

GERSP_DIR = osp.join(REPO, 'configs', 'gersp')
PAPER = 'gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py'
GERSP_200 = 'gersp_resnet50_8xb32-coslr-200e_millionaid-in1k.py'
MOCO_BOTH = 'mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py'
MOCO_RS = 'mocov2_resnet50_8xb32-coslr-100e_millionaid.py'
SUPERVISED = 'supervised_resnet50_8xb32-coslr-100e_in1k.py'
CPU_COLOUR = osp.join('..', '_base_', 'datasets',
                      'millionaid_in1k_dualstream_cpu-colour.py')
RECIPE = ('optim_wrapper', 'param_scheduler', 'train_cfg', 'randomness',
          'env_cfg', 'default_hooks')


def load(name: str):
    from mmengine.config import Config
    return Config.fromfile(osp.join(GERSP_DIR, name))


def plain(value):
    """Config values as plain Python, for equality checks."""
    from mmengine.config import ConfigDict
    if isinstance(value, ConfigDict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def test_gersp_200_extends_only_the_schedule():
    paper, long = load(PAPER), load(GERSP_200)
    assert long.train_cfg.max_epochs == 200
    (sched, ) = long.param_scheduler
    (paper_sched, ) = paper.param_scheduler
    assert sched.periods == [20] * 10 and sum(sched.periods) == 200
    assert sched.end == 200 and sched.eta_min == paper_sched.eta_min
    assert sched.restart_weights == [1] * 10
    paper_dict, long_dict = plain(paper._cfg_dict), plain(long._cfg_dict)
    for key in set(paper_dict) | set(long_dict):
        if key not in ('param_scheduler', 'train_cfg'):
            assert paper_dict.get(key) == long_dict.get(key), key


@pytest.mark.parametrize('name', [MOCO_BOTH, MOCO_RS, SUPERVISED])
def test_baselines_share_the_gersp_recipe(name):
    paper, cfg = load(PAPER), load(name)
    # colour in the loader workers: GeRSP's device stage only runs on its
    # dual-stream batches (same distribution, see the base file)
    cpu_colour = load(CPU_COLOUR)
    for key in RECIPE:
        assert plain(cfg[key]) == plain(paper[key]), key
    assert plain(cfg.model.backbone) == plain(paper.model.backbone)
    assert cfg.default_scope == paper.default_scope
    assert 'mmgersp' in cfg.custom_imports.imports
    hooks = [h.type for h in cfg.custom_hooks]
    assert 'GeRSPEMAHook' not in hooks and 'NonFiniteLossHook' in hooks
    prep = cfg.model.data_preprocessor
    paper_prep = paper.model.data_preprocessor
    assert (list(prep.mean), list(prep.std), prep.to_rgb) == (
        list(paper_prep.mean), list(paper_prep.std), True)
    rs, nat = paper.train_dataloader.dataset.datasets
    if name == SUPERVISED:
        assert cfg.model.type == 'ImageClassifier'
        assert plain(cfg.model.head) == plain(paper.model.cls_head)
        ds = cfg.train_dataloader.dataset
        assert (ds.type, ds.data_root, ds.split) == (nat.type, nat.data_root,
                                                     nat.split)
        assert plain(ds.pipeline) == plain(cpu_colour.natural_pipeline)
        assert cfg.train_dataloader.batch_size == paper.n_nat
        assert cfg.train_dataloader.drop_last is True
        return
    assert cfg.model.type == 'MoCo'
    for key in ('queue_len', 'feat_dim'):
        assert cfg.model[key] == paper.model[key], key
    assert plain(cfg.model.head) == plain(paper.model.head)  # T = 0.07
    # the official run's teacher momentum (mmengine's EMA: 1 - m)
    ema = [h for h in paper.custom_hooks if h.type == 'GeRSPEMAHook'][0]
    assert cfg.model.momentum == pytest.approx(1 - ema.momentum)
    neck = cfg.model.neck
    assert (neck.in_channels, neck.hid_channels, neck.out_channels) == (
        paper.model.neck.in_channels, paper.model.neck.hid_channels,
        paper.model.neck.out_channels)
    moco_rs = cfg.train_dataloader.dataset
    if name == MOCO_BOTH:
        # GeRSP's batch composition; the natural images get the RS
        # pipeline (two views) and their labels are not used
        assert plain(cfg.train_dataloader.sampler) == plain(
            paper.train_dataloader.sampler)
        assert cfg.train_dataloader.collate_fn.type == 'default_collate'
        moco_rs, moco_nat = moco_rs.datasets
        assert (moco_nat.type, moco_nat.data_root) == (nat.type,
                                                       nat.data_root)
        assert plain(moco_nat.pipeline) == plain(cpu_colour.rs_pipeline)
    else:
        assert cfg.train_dataloader.batch_size == paper.n_rs
        assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
        # a partial batch would break MoCo's queue at the end of an epoch
        assert cfg.train_dataloader.drop_last is True
    assert (moco_rs.type, moco_rs.data_root) == (rs.type, rs.data_root)
    assert plain(moco_rs.pipeline) == plain(cpu_colour.rs_pipeline)


def shrunk_args(aid: str, cifar: str, **kw) -> argparse.Namespace:
    """The comparison tool's recipe fields, tiny."""
    args = dict(arch='resnet18', depth=18, img_size=32, n_rs=4, n_nat=4,
                queue_len=64, temperature=None, momentum=0.99, lr=0.03,
                iters=2, workers=0, rs_root=aid, natural_root=cifar,
                cfg_options=None)
    args.update(kw)
    return argparse.Namespace(**args)


@pytest.mark.parametrize('name', [GERSP_200, MOCO_BOTH, MOCO_RS, SUPERVISED])
def test_trains_two_iterations_and_exports(name, aid_root, cifar_train_root,
                                           tmp_path):
    from mmengine.runner import Runner
    from mmgersp.evaluation import load_backbone
    from mmgersp.apis.export import export_backbone

    tool = load_tool('analysis_tools/compare_pretraining.py')
    args = shrunk_args(aid_root, cifar_train_root)
    cfg = tool.build_variant_cfg(osp.join(GERSP_DIR, name), args, 0,
                                 str(tmp_path))
    runner = Runner.from_cfg(cfg)
    before = {k: v.clone() for k, v in
              runner.model.backbone.state_dict().items()}
    runner.train()
    model = runner.model
    assert runner.iter == 2
    after = model.backbone.state_dict()
    assert not torch.equal(after['conv1.weight'], before['conv1.weight'])
    if name in (MOCO_BOTH, MOCO_RS):
        # keys enqueued per step: every query of the batch
        per_step = 8 if name == MOCO_BOTH else 4
        assert int(model.queue_ptr) == 2 * per_step
        assert model.queue.shape == (128, 64)
    elif name == SUPERVISED:
        assert model.head.fc.out_features == 10  # CIFAR-10 classes
    else:
        assert int(model.queue_ptr) == 2 * 4
    out = export_backbone(osp.join(str(tmp_path), 'iter_2.pth'),
                          osp.join(str(tmp_path), 'backbone.pth'))
    exported = torch.load(out, weights_only=True)['state_dict']
    assert set(exported) == {f'backbone.{k}' for k in after}
    backbone, info = load_backbone(out)
    assert info['cfg']['depth'] == 18
    for key, value in backbone.state_dict().items():
        assert torch.equal(value, after[key]), key


# Swin-T / ConvNeXt-T recipes: (backbone type, gradient clipping)
MODERN = {
    'gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py':
    ('SwinTransformer', dict(max_norm=5.0)),
    'gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py':
    ('ConvNeXt', None),
}


@pytest.mark.parametrize('name', sorted(MODERN))
def test_modern_backbone_recipes_keep_the_gersp_recipe(name):
    """Only the backbone, its optimiser and schedule differ from the
    official ResNet-50 run (two real iterations and the export:
    tests/test_benchmarks, whose downstream configs load the export)."""
    paper, cfg = load(PAPER), load(name)
    kind, clip = MODERN[name]
    for key in ('train_dataloader', 'custom_hooks', 'default_hooks',
                'train_cfg', 'randomness', 'env_cfg', 'auto_scale_lr',
                'default_scope', 'custom_imports'):
        assert plain(cfg[key]) == plain(paper[key]), key
    model, paper_model = plain(cfg.model), plain(paper.model)
    for key in set(model) | set(paper_model):
        if key not in ('backbone', 'neck', 'cls_head'):
            assert model.get(key) == paper_model.get(key), key
    for head, widths in (('neck', ('in_channels', 'hid_channels')),
                         ('cls_head', ('in_channels', ))):
        assert {k: v for k, v in model[head].items() if k not in widths} \
            == {k: v for k, v in paper_model[head].items()
                if k not in widths}
        assert all(model[head][w] == 'auto' for w in widths)
    bb = cfg.model.backbone
    assert (bb.type, bb.arch, bb.drop_path_rate) == (kind, 'tiny', 0.0)
    # every stage norm, for the downstream detectors and segmentors
    assert tuple(bb.out_indices) == (0, 1, 2, 3)
    assert cfg.find_unused_parameters is True
    optim = cfg.optim_wrapper
    # mmpretrain's AdamW at 5e-4 per 512 images; 512 here
    assert optim.optimizer == dict(type='AdamW', lr=5e-4, weight_decay=0.05,
                                   eps=1e-8, betas=(0.9, 0.999))
    assert cfg.auto_scale_lr.base_batch_size == 512 == 8 * (
        paper.n_rs + paper.n_nat)
    assert plain(optim.get('clip_grad')) == clip
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR',
                                                              1e-3, 7)
    assert (cosine.type, cosine.begin, cosine.end, cosine.eta_min) == (
        'CosineAnnealingLR', 7, 100, 1e-5)


@pytest.mark.parametrize('name', sorted(MODERN))
def test_modern_backbone_weight_decay_exclusions(name):
    """The optimiser as built for the model: decay 0.05 on conv and linear
    weights only; none on norms, biases, layer scales and Swin's relative
    position bias tables (mmpretrain's exclusions)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    cfg = load(name)
    cfg.model.queue_len = 64
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    decay = {id(p): g['weight_decay'] for g in optim.param_groups
             for p in g['params']}
    n_decayed = 0
    for pname, param in model.backbone.named_parameters():
        exempt = param.dim() == 1 or 'relative_position_bias_table' in pname
        assert decay[id(param)] == (0.0 if exempt else 0.05), pname
        n_decayed += not exempt
    assert n_decayed > 0
    assert decay[id(model.cls_head.fc.bias)] == 0.0
    assert decay[id(model.neck.mlp[0].weight)] == 0.05
