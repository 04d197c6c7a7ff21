"""Frozen-feature evaluation: kNN and linear probe on a class-folder tree.

The one implementation behind ``tools/analysis_tools/eval_features.py``,
:class:`mmgersp.engine.hooks.feature_eval_hook.FeatureEvalHook`,
``vis_cam.py`` (its classifier) and ``vis_tsne.py`` (its features).

* kNN: cosine similarity on L2-normalised features, the ``k`` nearest
  training features vote with weight ``exp(sim / T)`` (Wu et al. 2018, as
  in DINO's evaluation; ``k=20``, ``T=0.07``).
* Linear probe: multinomial logistic regression on standardised features,
  full-batch L-BFGS from zero weights with an L2 penalty -- no data order, no
  random init, hence the same number on every run (what a quick check of a
  checkpoint needs; it is not the paper's fine-tuning protocol).
* Cross-validated probe (``linear_probe='cv'``, the comparison protocol, as
  torchgeo-bench does): scikit-learn's logistic regression on standardised
  features with its L2 strength chosen by stratified k-fold
  cross-validation on the probe's *training* part only
  (:func:`fit_logistic_cv`); ``bootstrap > 0`` adds 95% percentile-bootstrap
  intervals over test images (:mod:`mmgersp.evaluation.stats`).
"""
import contextlib
import time
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from mmgersp.datasets.class_folders import (Sample, deterministic_split,
                                            scan_class_folders)
from .backbone import pooled_features
from .data import IMAGENET_MEAN, IMAGENET_STD, ImageListDataset


@torch.no_grad()
def extract_features(backbone: nn.Module,
                     dataset: ImageListDataset,
                     batch_size: int = 64,
                     num_workers: int = 0,
                     device: Optional[torch.device] = None,
                     progress: bool = False) -> Dict[str, torch.Tensor]:
    """Pooled features (float32, CPU) and labels of every image in order.

    The backbone runs in eval mode (BN running statistics) and is put back
    in the mode it was in, so a training run can call this mid-epoch.
    """
    if device is None:
        device = next(backbone.parameters()).device
    was_training = backbone.training
    backbone.eval()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers)
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(dataset))
    feats, labels = [], []
    try:
        for imgs, targets in loader:
            feat = pooled_features(backbone, imgs.to(device))
            feats.append(feat.float().cpu())
            labels.append(targets)
            if bar is not None:
                bar.update(len(targets))
    finally:
        backbone.train(was_training)
    if bar is not None:
        bar.file.write('\n')
    return dict(feats=torch.cat(feats), labels=torch.cat(labels))


@torch.no_grad()
def knn_predict(train_feats: torch.Tensor,
                train_labels: torch.Tensor,
                test_feats: torch.Tensor,
                num_classes: int,
                k: int = 20,
                temperature: float = 0.07,
                chunk: int = 1024) -> torch.Tensor:
    """Class scores ``(N_test, num_classes)`` of the weighted cosine kNN."""
    train = F.normalize(train_feats.float(), dim=1)
    k = min(k, train.shape[0])
    scores = []
    for start in range(0, test_feats.shape[0], chunk):
        query = F.normalize(test_feats[start:start + chunk].float(), dim=1)
        sim, idx = (query @ train.T).topk(k, dim=1)
        votes = torch.zeros(query.shape[0], num_classes)
        votes.scatter_add_(1, train_labels[idx], (sim / temperature).exp())
        scores.append(votes)
    return torch.cat(scores)


@contextlib.contextmanager
def _single_thread():
    """Run small, latency-bound tensor ops on one thread.

    L-BFGS on a few hundred samples is dominated by thread synchronisation:
    on a busy 2-core machine two OpenMP threads ran it 25x slower than one.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class LinearProbe(nn.Module):
    """``Linear(standardise(x))``: the fitted probe, usable as a head."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor,
                 weight: torch.Tensor, bias: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer('mean', mean)
        self.register_buffer('std', std)
        self.fc = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.fc.weight.copy_(weight)
            self.fc.bias.copy_(bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.fc((feats - self.mean) / self.std)


@_single_thread()
def fit_linear_probe(feats: torch.Tensor,
                     labels: torch.Tensor,
                     num_classes: int,
                     weight_decay: float = 1e-3,
                     max_iter: int = 100,
                     reduce: bool = True) -> LinearProbe:
    """L2-regularised logistic regression by full-batch L-BFGS.

    Minimises ``CE + weight_decay / 2 * ||W||^2`` on features standardised
    with the training mean/std; deterministic for given features. With more
    dimensions than samples (2048-d features, a few hundred images) the
    optimum lies in the span of the training features, so ``reduce`` solves
    the same problem in that N-dimensional span (exact, and many times
    faster) and maps the weights back.
    """
    x = feats.double()
    mean, std = x.mean(0), x.std(0, unbiased=False).clamp_min(1e-6)
    x = (x - mean) / std
    basis = None
    if reduce and x.shape[1] > x.shape[0]:
        u, s, basis = torch.linalg.svd(x, full_matrices=False)
        x = u * s  # coordinates in the row space; basis: (N, D), orthonormal
    w = torch.zeros(num_classes, x.shape[1], dtype=torch.float64,
                    requires_grad=True)
    b = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter,
                            history_size=20, tolerance_grad=1e-9,
                            tolerance_change=1e-12,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w.T + b, labels) + \
            weight_decay / 2 * w.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    weight = w.detach() if basis is None else w.detach() @ basis
    return LinearProbe(mean.float(), std.float(), weight.float(),
                       b.detach().float())


# Inverse L2 strengths tried by the cross-validated probe (scikit-learn's
# C: the data term is summed over samples, so 1 / C is the penalty weight).
CV_CS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


@_single_thread()
def fit_logistic_cv(feats: torch.Tensor,
                    labels: torch.Tensor,
                    num_classes: int,
                    cs: Sequence[float] = CV_CS,
                    folds: int = 5,
                    seed: int = 0,
                    max_iter: int = 300) -> Tuple[LinearProbe, dict]:
    """Multinomial logistic regression, L2 strength chosen by CV.

    Features are standardised with the mean/std of ``feats`` (the probe's
    training part; the test part is never seen). scikit-learn's
    ``LogisticRegressionCV`` (L-BFGS, warm-started along ``cs``) scores
    every ``C`` by accuracy on ``StratifiedKFold(folds, shuffle=True,
    random_state=seed)`` and refits the best on all of ``feats``: the same
    result on every run. ``folds`` is lowered to the smallest class count
    (at least 2). Returns the probe and ``dict(C=..., cv_top1={C: %})``.
    """
    import inspect
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    y = labels.numpy()
    smallest = int(np.bincount(y, minlength=num_classes)[np.unique(y)].min())
    folds = min(folds, smallest)
    if folds < 2:
        raise ValueError('the cross-validated probe needs >= 2 training '
                         'images per class; raise the share of probe '
                         'training images (--eval-train-ratio)')
    x = feats.double()
    mean, std = x.mean(0), x.std(0, unbiased=False).clamp_min(1e-6)
    x = ((x - mean) / std).numpy()
    kwargs = {}
    params = inspect.signature(LogisticRegressionCV).parameters
    if 'use_legacy_attributes' in params:  # scikit-learn >= 1.8: plain L2
        kwargs.update(l1_ratios=(0.0, ), use_legacy_attributes=False)
    clf = LogisticRegressionCV(
        Cs=list(cs), cv=StratifiedKFold(folds, shuffle=True,
                                        random_state=seed),
        scoring='accuracy', solver='lbfgs', max_iter=max_iter, n_jobs=1,
        refit=True, **kwargs)
    with warnings.catch_warnings():
        # a capped solve is still a fixed, deterministic function of the data
        warnings.simplefilter('ignore', ConvergenceWarning)
        clf.fit(x, y)
    coef = torch.from_numpy(clf.coef_)
    bias = torch.from_numpy(clf.intercept_)
    weight = torch.zeros(num_classes, coef.shape[1], dtype=torch.float64)
    full_bias = torch.full((num_classes, ), -1e4, dtype=torch.float64)
    if len(clf.classes_) == 2 and coef.shape[0] == 1:
        # binary: p(second) = sigmoid(w.x + b) = softmax([0, w.x + b])
        coef = torch.cat([torch.zeros_like(coef), coef])
        bias = torch.cat([torch.zeros_like(bias), bias])
    idx = torch.from_numpy(clf.classes_).long()
    weight[idx], full_bias[idx] = coef, bias  # absent classes: never chosen
    scores = clf.scores_  # per fold and C (a dict by class before 1.8)
    if isinstance(scores, dict):
        scores = next(iter(scores.values()))
    scores = np.asarray(scores).mean(0).reshape(-1)  # mean over folds
    info = dict(C=float(np.ravel(clf.C_)[0]),
                cv_top1={str(c): float(v) * 100
                         for c, v in zip(clf.Cs_, scores)})
    return LinearProbe(mean.float(), std.float(), weight.float(),
                       full_bias.float()), info


def top1(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy in percent."""
    return (scores.argmax(1) == labels).double().mean().item() * 100


def evaluate_features(train: Dict[str, torch.Tensor],
                      test: Dict[str, torch.Tensor],
                      num_classes: int,
                      k: int = 20,
                      temperature: float = 0.07,
                      linear_weight_decay: float = 1e-3,
                      linear_max_iter: int = 100,
                      linear_probe: str = 'fixed',
                      bootstrap: int = 0,
                      seed: int = 0) -> Dict[str, float]:
    """``knn_top1`` and ``linear_top1`` (percent) of extracted features.

    ``linear_probe``: ``'fixed'`` (L-BFGS with ``linear_weight_decay``, the
    quick check) or ``'cv'`` (:func:`fit_logistic_cv`, the comparison
    protocol; adds ``linear_C`` and ``linear_cv_top1``). ``bootstrap > 0``
    adds ``knn_ci`` / ``linear_ci`` (95% percentile bootstrap over test
    images, :func:`mmgersp.evaluation.stats.bootstrap_ci`, generator seed
    ``seed``) and the per-image ``knn_correct`` / ``linear_correct``.
    """
    if linear_probe not in ('fixed', 'cv'):
        raise ValueError(f"linear_probe must be 'fixed' or 'cv', got "
                         f'{linear_probe!r}')
    knn = knn_predict(train['feats'], train['labels'], test['feats'],
                      num_classes, k, temperature)
    extra = {}
    if linear_probe == 'cv':
        probe, info = fit_logistic_cv(train['feats'], train['labels'],
                                      num_classes, seed=seed)
        extra.update(linear_C=info['C'], linear_cv_top1=info['cv_top1'])
    else:
        probe = fit_linear_probe(train['feats'], train['labels'],
                                 num_classes, linear_weight_decay,
                                 linear_max_iter)
    with torch.no_grad():
        linear = probe(test['feats'])
    results = dict(knn_top1=top1(knn, test['labels']),
                   linear_top1=top1(linear, test['labels']), **extra)
    if bootstrap > 0:
        from .stats import bootstrap_ci
        for name, scores in (('knn', knn), ('linear', linear)):
            correct = (scores.argmax(1) == test['labels']).int().tolist()
            results[f'{name}_correct'] = correct
            results[f'{name}_ci'] = list(
                bootstrap_ci(correct, n_resamples=bootstrap, seed=seed))
    return results


class FeatureEvalData:
    """A class-folder tree split once into train/test image datasets.

    Built once and reused, so the hook scans the tree only at start.
    """

    def __init__(self,
                 data_root: str,
                 img_size: int = 224,
                 train_ratio: float = 0.5,
                 seed: int = 0,
                 max_per_class: Optional[int] = None,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 channel_order: str = 'RGB') -> None:
        self.data_root = data_root
        self.classes, samples = scan_class_folders(data_root)
        self.train_samples: List[Sample]
        self.test_samples: List[Sample]
        self.train_samples, self.test_samples = deterministic_split(
            samples, train_ratio, seed, max_per_class)
        self._image_cfg = dict(img_size=img_size, mean=mean, std=std,
                               channel_order=channel_order)
        self.train = self.images(self.train_samples)
        self.test = self.images(self.test_samples)

    def images(self, samples: Sequence[Sample]) -> ImageListDataset:
        """Any samples of the tree, sized and normalised as the split is."""
        return ImageListDataset(self.data_root, samples, **self._image_cfg)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def evaluate_backbone(backbone: nn.Module,
                      data: FeatureEvalData,
                      k: int = 20,
                      temperature: float = 0.07,
                      linear_weight_decay: float = 1e-3,
                      linear_max_iter: int = 100,
                      batch_size: int = 64,
                      num_workers: int = 0,
                      device: Optional[torch.device] = None,
                      progress: bool = False,
                      linear_probe: str = 'fixed',
                      bootstrap: int = 0,
                      seed: int = 0) -> Dict[str, float]:
    """kNN and linear-probe top-1 of a frozen backbone, plus bookkeeping.

    ``linear_probe``, ``bootstrap`` and ``seed``: see
    :func:`evaluate_features`.
    """
    start = time.perf_counter()
    kwargs = dict(batch_size=batch_size, num_workers=num_workers,
                  device=device, progress=progress)
    train = extract_features(backbone, data.train, **kwargs)
    test = extract_features(backbone, data.test, **kwargs)
    results = evaluate_features(train, test, data.num_classes, k,
                                temperature, linear_weight_decay,
                                linear_max_iter, linear_probe, bootstrap,
                                seed)
    results.update(num_train=len(data.train), num_test=len(data.test),
                   num_classes=data.num_classes,
                   feat_dim=int(train['feats'].shape[1]),
                   seconds=time.perf_counter() - start)
    return results
