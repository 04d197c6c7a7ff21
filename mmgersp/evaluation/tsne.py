"""Exact t-SNE (van der Maaten & Hinton, 2008) in numpy, for small sets.

scikit-learn is not a dependency, and a few hundred feature vectors do not
need Barnes-Hut: this is the textbook algorithm with sklearn's defaults
(PCA to 50 dims, perplexity 30, early exaggeration 12 for 250 iterations,
momentum 0.5 -> 0.8, delta-bar-delta gains, learning rate ``max(N / 48,
50)``, PCA initialisation scaled to std 1e-4). O(N^2) memory and time.
"""
from typing import Dict, Optional

import numpy as np


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    """Project centred ``x`` on its first ``dims`` principal axes."""
    x = x - x.mean(0)
    dims = min(dims, *x.shape)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :dims] * s[:dims]


def squared_distances(x: np.ndarray) -> np.ndarray:
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(d, 0.0)
    return np.maximum(d, 0.0)


def conditional_probabilities(d2: np.ndarray,
                              perplexity: float,
                              tol: float = 1e-5,
                              max_iter: int = 200) -> np.ndarray:
    """Rows ``P(j | i)`` whose entropy is ``log(perplexity)`` (nats).

    One bisection on the precision ``beta_i`` for all rows at once.
    """
    n = d2.shape[0]
    off = ~np.eye(n, dtype=bool)
    # shifting a row by its smallest distance leaves P(.|i) unchanged and
    # keeps exp() from underflowing for far-away clusters
    d = d2 - np.where(off, d2, np.inf).min(1, keepdims=True)
    target = np.log(perplexity)
    beta = np.ones(n)
    lo, hi = np.full(n, 0.0), np.full(n, np.inf)
    for _ in range(max_iter):
        p = np.exp(-d * beta[:, None]) * off
        sum_p = p.sum(1)
        entropy = np.log(sum_p) + beta * (d * p).sum(1) / sum_p
        diff = entropy - target
        if np.abs(diff).max() < tol:
            break
        too_flat = diff > 0  # entropy too high -> sharpen (raise beta)
        lo = np.where(too_flat, beta, lo)
        hi = np.where(too_flat, hi, beta)
        beta = np.where(np.isinf(hi), beta * 2, (lo + hi) / 2)
    return p / sum_p[:, None]


def kl_and_gradient(p: np.ndarray, y: np.ndarray,
                    exaggeration: float = 1.0):
    """``KL(P || Q(y))`` and its gradient w.r.t. ``y`` (for ``P * exag``).

    ``dC/dy_i = 4 sum_j (p_ij - q_ij) (y_i - y_j) / (1 + |y_i - y_j|^2)``.
    """
    num = 1.0 / (1.0 + squared_distances(y))
    np.fill_diagonal(num, 0.0)
    q = np.maximum(num / num.sum(), 1e-12)
    pq = (exaggeration * p - q) * num
    grad = 4.0 * (pq.sum(1)[:, None] * y - pq @ y)
    return float((p * np.log(p / q)).sum()), grad


def tsne(x: np.ndarray,
         n_components: int = 2,
         perplexity: float = 30.0,
         n_iter: int = 1000,
         pca_dims: Optional[int] = 50,
         early_exaggeration: float = 12.0,
         exaggeration_iters: int = 250,
         learning_rate: Optional[float] = None,
         seed: int = 0) -> Dict[str, np.ndarray]:
    """Embed ``x`` (``N, D``); returns ``embedding`` and per-iteration ``kl``.

    ``perplexity`` is clipped to ``(N - 1) / 3`` so that small sets work.
    Deterministic: PCA initialisation plus a seeded tie-breaking jitter.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f't-SNE needs at least 4 points, got {n}')
    perplexity = min(perplexity, (n - 1) / 3)
    if pca_dims is not None and x.shape[1] > pca_dims:
        x = pca(x, pca_dims)
    p = conditional_probabilities(squared_distances(x), perplexity)
    p = np.maximum((p + p.T) / (2 * n), 1e-12)

    rng = np.random.default_rng(seed)
    y = pca(x, n_components)
    y = y / (y[:, 0].std() + 1e-12) * 1e-4
    y += rng.normal(scale=1e-6, size=y.shape)
    lr = learning_rate or max(n / early_exaggeration / 4, 50.0)
    update, gains = np.zeros_like(y), np.ones_like(y)
    kl = np.empty(n_iter)
    for it in range(n_iter):
        exaggeration = early_exaggeration if it < exaggeration_iters else 1.0
        momentum = 0.5 if it < exaggeration_iters else 0.8
        kl[it], grad = kl_and_gradient(p, y, exaggeration)
        same_sign = np.sign(grad) == np.sign(update)
        gains = np.where(same_sign, gains * 0.8, gains + 0.2).clip(0.01)
        update = momentum * update - lr * gains * grad
        y = y + update
    return dict(embedding=y, kl=kl, perplexity=np.float64(perplexity))
