"""The exact t-SNE: perplexity calibration, gradient, cluster recovery."""
import numpy as np

from mmgersp.evaluation.tsne import (conditional_probabilities,
                                     kl_and_gradient, squared_distances, tsne)


def blobs(n_per=30, k=4, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10, size=(k, dim))
    labels = np.repeat(np.arange(k), n_per)
    return centres[labels] + rng.normal(size=(len(labels), dim)), labels


def test_conditional_rows_have_the_requested_perplexity():
    x, _ = blobs()
    p = conditional_probabilities(squared_distances(x), perplexity=10)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-9)
    assert np.all(np.diag(p) == 0)
    entropy = -(p * np.log(np.where(p > 0, p, 1))).sum(1)
    np.testing.assert_allclose(np.exp(entropy), 10, rtol=1e-3)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, _ = blobs(n_per=5, k=2)
    p = conditional_probabilities(squared_distances(x), 3)
    p = np.maximum((p + p.T) / (2 * len(p)), 1e-12)
    y = rng.normal(size=(len(p), 2))
    _, grad = kl_and_gradient(p, y)
    eps, numeric = 1e-6, np.zeros_like(y)
    for i in range(y.shape[0]):
        for d in range(2):
            yp, ym = y.copy(), y.copy()
            yp[i, d] += eps
            ym[i, d] -= eps
            numeric[i, d] = (kl_and_gradient(p, yp)[0] -
                             kl_and_gradient(p, ym)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-7)


def test_embedding_separates_clusters_deterministically():
    x, labels = blobs()
    out = tsne(x, perplexity=15, n_iter=400, seed=0)
    y = out['embedding']
    assert y.shape == (len(x), 2) and np.isfinite(y).all()
    assert out['kl'][-1] < out['kl'][300]  # still descending after exag.
    d = squared_distances(y)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() == 1.0  # 1-NN in 2-D
    again = tsne(x, perplexity=15, n_iter=400, seed=0)['embedding']
    np.testing.assert_array_equal(y, again)
    # perplexity larger than the set allows is clipped, not an error
    assert tsne(x[:10], perplexity=30, n_iter=50)['perplexity'] == 3.0
