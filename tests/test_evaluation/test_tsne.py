"""t-SNE (scikit-learn's, through mmgersp.evaluation.tsne): clusters,
determinism, small sets."""
import numpy as np

from mmgersp.evaluation.tsne import tsne


def blobs(n_per=30, k=4, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10, size=(k, dim))
    labels = np.repeat(np.arange(k), n_per)
    return centres[labels] + rng.normal(size=(len(labels), dim)), labels


def test_embedding_separates_clusters_deterministically():
    x, labels = blobs()
    out = tsne(x, perplexity=15, max_iter=400, seed=0)
    y = out['embedding']
    assert y.shape == (len(x), 2) and np.isfinite(y).all()
    assert 0 < out['kl'] < 2
    d = ((y[:, None] - y[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() == 1.0  # 1-NN in 2-D
    again = tsne(x, perplexity=15, max_iter=400, seed=0)['embedding']
    np.testing.assert_array_equal(y, again)


def test_small_sets_and_wide_features():
    # perplexity larger than the set allows is clipped, not an error
    x, labels = blobs(n_per=5, k=2, dim=80)
    out = tsne(x, perplexity=30, max_iter=250)
    assert out['perplexity'] == 3.0 and out['embedding'].shape == (10, 2)
