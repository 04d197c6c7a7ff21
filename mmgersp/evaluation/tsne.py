"""t-SNE of feature vectors: scikit-learn's ``TSNE`` with GeRSP's settings.

What this adds to ``sklearn.manifold.TSNE``: PCA to 50 dimensions first
(the usual step for 2048-d ResNet features), the perplexity clipped to
``(N - 1) / 3`` so that small sets work, a fixed ``random_state`` and the
final KL divergence returned beside the embedding.
"""
from typing import Dict, Optional

import numpy as np


def tsne(x: np.ndarray,
         n_components: int = 2,
         perplexity: float = 30.0,
         max_iter: int = 1000,
         pca_dims: Optional[int] = 50,
         seed: int = 0) -> Dict[str, np.ndarray]:
    """Embed ``x`` (``N, D``); returns ``embedding``, ``kl`` and the
    ``perplexity`` used. Deterministic for a given ``seed``."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f't-SNE needs at least 4 points, got {n}')
    perplexity = min(perplexity, (n - 1) / 3)
    if pca_dims is not None and x.shape[1] > pca_dims:
        x = PCA(min(pca_dims, n), random_state=seed).fit_transform(x)
    model = TSNE(n_components,
                 perplexity=perplexity,
                 max_iter=max_iter,
                 init='pca',
                 random_state=seed)
    embedding = model.fit_transform(x)
    return dict(embedding=embedding,
                kl=np.float64(model.kl_divergence_),
                perplexity=np.float64(perplexity))
