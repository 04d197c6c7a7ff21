"""kNN, linear probe and backbone loading: the logic of the tool and hook."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmgersp.evaluation import (FeatureEvalData, backbone_state_dict,
                                evaluate_backbone, fit_linear_probe,
                                infer_resnet_cfg, knn_predict, load_backbone,
                                top1)
from mmgersp.evaluation.feature_eval import (CV_CS, evaluate_features,
                                             fit_logistic_cv)
from mmgersp.evaluation.stats import bootstrap_ci
from mmgersp.utils import load_checkpoint_safely


def test_knn_weights_votes_by_exp_cosine_over_t():
    train = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    query = torch.tensor([[1.0, 1.0]]) * 3  # scale must not matter (cosine)
    scores = knn_predict(train, labels, query, num_classes=2, k=3,
                         temperature=0.5)
    sims = F.normalize(train, dim=1) @ F.normalize(query, dim=1).T
    expected = torch.stack([(sims[:2] / 0.5).exp().sum(),
                            (sims[2] / 0.5).exp().sum()])
    torch.testing.assert_close(scores[0], expected)
    # k larger than the memory is clamped; k=1 is the nearest neighbour
    assert knn_predict(train, labels, query, 2, k=1).argmax() == 0
    assert knn_predict(train, labels, query, 2, k=99).shape == (1, 2)


def test_linear_probe_separable_and_span_reduction_is_exact():
    gen = torch.Generator().manual_seed(0)
    centres = torch.randn(5, 300, generator=gen) * 3
    labels = torch.arange(5).repeat_interleave(12)  # 60 samples < 300 dims
    feats = centres[labels] + torch.randn(60, 300, generator=gen)
    test_labels = torch.arange(5).repeat_interleave(4)
    test_feats = centres[test_labels] + torch.randn(20, 300, generator=gen)

    reduced = fit_linear_probe(feats, labels, 5, weight_decay=0.1,
                               max_iter=500)
    full = fit_linear_probe(feats, labels, 5, weight_decay=0.1,
                            max_iter=500, reduce=False)
    with torch.no_grad():
        assert top1(reduced(test_feats), test_labels) == 100.0
        # the same optimum: the weights live in the span of the features
        torch.testing.assert_close(reduced(test_feats), full(test_feats),
                                   atol=2e-3, rtol=1e-3)
    again = fit_linear_probe(feats, labels, 5, weight_decay=0.1,
                             max_iter=500)
    assert torch.equal(again.fc.weight, reduced.fc.weight)  # deterministic


def _blobs(n_per_class, noise, seed):
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(4, 20, generator=torch.Generator().manual_seed(9))
    labels = torch.arange(4).repeat_interleave(n_per_class)
    feats = centres[labels] + noise * torch.randn(len(labels), 20,
                                                  generator=gen)
    return feats, labels


def test_cv_probe_picks_its_strength_on_the_training_part_only():
    feats, labels = _blobs(10, 0.3, seed=0)
    probe, info = fit_logistic_cv(feats, labels, 4)
    assert info['C'] in CV_CS and len(info['cv_top1']) == len(CV_CS)
    # the chosen C has the best mean fold accuracy (first of ties)
    best = max(info['cv_top1'].values())
    assert info['cv_top1'][str(info['C'])] == best
    test_feats, test_labels = _blobs(5, 0.3, seed=1)
    with torch.no_grad():
        assert top1(probe(test_feats), test_labels) == 100.0
    again, info2 = fit_logistic_cv(feats, labels, 4)
    assert info2 == info and torch.equal(again.fc.weight, probe.fc.weight)
    # the test part never enters the fit: same probe whatever it holds
    train = dict(feats=feats, labels=labels)
    res = evaluate_features(train, dict(feats=test_feats, labels=test_labels),
                            4, k=3, linear_probe='cv', bootstrap=200)
    res2 = evaluate_features(train, dict(feats=-test_feats,
                                         labels=test_labels),
                             4, k=3, linear_probe='cv', bootstrap=200)
    assert res['linear_C'] == res2['linear_C'] == info['C']
    assert res['linear_top1'] == 100.0 and res['linear_ci'] == [100.0, 100.0]
    # the intervals are the bootstrap of the per-image results
    assert res2['linear_ci'] == list(bootstrap_ci(res2['linear_correct'],
                                                  200))
    assert res2['knn_top1'] == 100 * sum(res2['knn_correct']) / 20
    # two images of a class: fewer folds; one: refused, naming the flag
    few_feats, few_labels = _blobs(2, 0.3, seed=2)
    fit_logistic_cv(few_feats, few_labels, 4)
    with pytest.raises(ValueError, match='--eval-train-ratio'):
        fit_logistic_cv(few_feats[::2], few_labels[::2], 4)
    with pytest.raises(ValueError, match="'fixed' or 'cv'"):
        evaluate_features(train, train, 4, linear_probe='svm')


def test_infer_resnet_cfg_from_tensor_names():
    from mmpretrain.models import ResNet, ResNetV1d
    for depth in (18, 34, 50, 101):
        cfg = infer_resnet_cfg(ResNet(depth=depth).state_dict())
        assert cfg['depth'] == depth and not cfg['deep_stem']
    cfg = infer_resnet_cfg(ResNetV1d(depth=50).state_dict())
    assert cfg['deep_stem'] and cfg['avg_down'] and cfg['depth'] == 50
    with pytest.raises(ValueError, match='not a ResNet'):
        infer_resnet_cfg({'layer1.0.conv1.weight': torch.zeros(1)})


def test_load_backbone_accepts_gersp_checkpoints(gersp_r50_backbone):
    exported, info = load_backbone(gersp_r50_backbone)
    assert info['cfg']['depth'] == 50 and not info['unexpected_keys']
    ref = backbone_state_dict(load_checkpoint_safely(gersp_r50_backbone))
    for k, v in exported.state_dict().items():
        torch.testing.assert_close(v, ref[k])

    # the GeRSP training checkpoint it was exported from: student, not teacher
    train_ckpt = osp.join(osp.dirname(gersp_r50_backbone), 'iter_2.pth')
    student, info = load_backbone(train_ckpt)
    full = load_checkpoint_safely(train_ckpt)['state_dict']
    w = student.state_dict()['layer4.2.conv3.weight']
    torch.testing.assert_close(w, full['backbone.layer4.2.conv3.weight'])
    assert not torch.equal(w, full['teacher.backbone.layer4.2.conv3.weight'])
    assert info['meta']['iter'] == 2  # mmengine's meta comes along


def test_load_backbone_torchvision_layout_random_and_refusal(tmp_path):
    # torchvision layout (ImageNet weights usually come like this): no
    # prefix, plus an fc classifier that is dropped
    ref, _ = load_backbone('random', depth=18, seed=5)
    tv = dict(ref.state_dict(), **{'fc.weight': torch.zeros(1000, 512),
                                   'fc.bias': torch.zeros(1000)})
    torch.save(tv, tmp_path / 'tv.pth')
    net, info = load_backbone(str(tmp_path / 'tv.pth'))
    assert info['cfg']['depth'] == 18
    for k, v in net.state_dict().items():
        assert torch.equal(v, ref.state_dict()[k])

    # a checkpoint missing tensors is refused instead of half-loaded
    tv.pop('layer4.1.conv2.weight')
    torch.save(tv, tmp_path / 'broken.pth')
    with pytest.raises(KeyError, match='lacks 1 tensors'):
        load_backbone(str(tmp_path / 'broken.pth'))

    a, _ = load_backbone('random', depth=18, seed=3)
    b, _ = load_backbone('random', depth=18, seed=3)
    c, _ = load_backbone('random', depth=18, seed=4)
    assert torch.equal(a.conv1.weight, b.conv1.weight)
    assert not torch.equal(a.conv1.weight, c.conv1.weight)


def test_evaluate_backbone_on_aid_is_deterministic(aid_root):
    backbone, _ = load_backbone('random', depth=18)
    backbone.train()
    data = FeatureEvalData(aid_root, img_size=32, max_per_class=6)
    first = evaluate_backbone(backbone, data)
    assert backbone.training  # put back in the mode it was in
    second = evaluate_backbone(backbone, data)
    assert (first['num_train'], first['num_test']) == (90, 90)
    assert first['num_classes'] == 30 and first['feat_dim'] == 512
    for key in ('knn_top1', 'linear_top1'):
        assert 0.0 <= first[key] <= 100.0
        assert first[key] == second[key]
