"""Confidence intervals of the pre-training comparison: bootstrap and paired t.

Two kinds of uncertainty, two intervals:

* within one (variant, seed) cell, the test images are a sample: a 95%
  *percentile bootstrap* interval of top-1 over test images
  (:func:`bootstrap_ci`, fixed seed, so a rerun prints the same interval);
* across seeds, the training run itself varies (initialisation, data order,
  augmentation): the difference of two variants trained with the same seed
  is paired, and its mean gets a 95% *Student t-interval over seeds*
  (:func:`paired_differences`), which assumes the per-seed differences are
  roughly normal -- with 5 seeds a bootstrap over seeds would be too coarse.
"""
import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np


def bootstrap_ci(correct: Sequence[float],
                 n_resamples: int = 1000,
                 level: float = 0.95,
                 seed: int = 0) -> Tuple[float, float]:
    """Percentile bootstrap interval of ``100 * mean(correct)``.

    ``correct`` holds one value per test image (1.0 right, 0.0 wrong); the
    images are resampled with replacement ``n_resamples`` times with a
    ``numpy.random.default_rng(seed)`` generator, and the interval is the
    ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles (numpy's linear
    interpolation) of the resampled accuracies.
    """
    values = np.asarray(correct, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError('bootstrap_ci needs a non-empty 1-D sequence, got '
                         f'shape {values.shape}')
    if n_resamples < 1 or not 0 < level < 1:
        raise ValueError(f'n_resamples must be >= 1 and level in (0, 1), '
                         f'got {n_resamples} and {level}')
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    for start in range(0, n_resamples, 100):  # bounded memory
        stop = min(start + 100, n_resamples)
        idx = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[idx].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means * 100, [tail, 100 - tail])
    return float(low), float(high)


def t_interval(values: Sequence[float],
               level: float = 0.95) -> Dict[str, Optional[float]]:
    """Mean and Student t confidence interval of the mean.

    ``mean +- t_{(1+level)/2, n-1} * sd / sqrt(n)`` with the sample standard
    deviation (ddof=1). With one value the interval is undefined: ``low``,
    ``high`` and ``sd`` are ``None``.
    """
    from scipy.stats import t as student_t
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    if n == 0:
        raise ValueError('t_interval needs at least one value')
    mean = float(x.mean())
    out = dict(n=n, mean=mean, sd=None, low=None, high=None, level=level)
    if n > 1:
        sd = float(x.std(ddof=1))
        half = float(student_t.ppf((1 + level) / 2, n - 1)) * sd / math.sqrt(n)
        out.update(sd=sd, low=mean - half, high=mean + half)
    return out


def paired_differences(a: Mapping[int, float],
                       b: Mapping[int, float],
                       level: float = 0.95) -> Dict:
    """``a - b`` paired by seed (the keys), with a t-interval over seeds.

    Only seeds present in both are used; they are listed under ``seeds``
    and the per-seed differences under ``diffs``.
    """
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f'no common seeds: {sorted(a)} vs {sorted(b)}')
    diffs = [a[s] - b[s] for s in seeds]
    return dict(t_interval(diffs, level), seeds=seeds, diffs=diffs)


def interval_above_zero(summary: Mapping) -> bool:
    """True when a :func:`t_interval` has a lower bound above 0."""
    return summary.get('low') is not None and summary['low'] > 0
