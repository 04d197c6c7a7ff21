"""Bootstrap and paired t-intervals of the comparison, against exact values."""
import math

import numpy as np
import pytest

from mmgersp.evaluation.stats import (bootstrap_ci, interval_above_zero,
                                      paired_differences, t_interval)


def test_bootstrap_ci_is_the_documented_percentile_bootstrap():
    correct = [1] * 60 + [0] * 40
    low, high = bootstrap_ci(correct, n_resamples=1000, seed=0)
    # the definition, written out: resample indices with default_rng(seed)
    # in blocks of 100 draws, percentiles 2.5 / 97.5 of 100 * mean
    rng = np.random.default_rng(0)
    values = np.asarray(correct, dtype=float)
    means = np.concatenate([
        values[rng.integers(0, 100, size=(100, 100))].mean(1)
        for _ in range(10)
    ])
    assert (low, high) == tuple(np.percentile(means * 100, [2.5, 97.5]))
    # and it is the interval expected of 60 / 100 right: about
    # 60 +- 1.96 * sqrt(0.6 * 0.4 / 100) * 100 = 60 +- 9.6
    assert 49 <= low <= 52 and 68 <= high <= 71
    assert bootstrap_ci(correct, seed=0) == (low, high)  # fixed seed
    assert bootstrap_ci(correct, seed=1) != (low, high)


def test_bootstrap_ci_edge_cases():
    assert bootstrap_ci([1, 1, 1], n_resamples=10) == (100.0, 100.0)
    assert bootstrap_ci([0.0] * 7, n_resamples=10) == (0.0, 0.0)
    with pytest.raises(ValueError, match='non-empty'):
        bootstrap_ci([])
    with pytest.raises(ValueError, match='level'):
        bootstrap_ci([1, 0], level=1.5)


def test_t_interval_against_hand_computed_values():
    # mean 3, sd sqrt(2.5), t_{0.975, 4} = 2.776445105 (t tables)
    out = t_interval([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert out['n'] == 5 and out['mean'] == 3.0
    assert out['sd'] == pytest.approx(math.sqrt(2.5), abs=1e-12)
    assert out['low'] == pytest.approx(3 - half, abs=1e-9)  # 1.0367568
    assert out['high'] == pytest.approx(3 + half, abs=1e-9)  # 4.9632432
    assert out['low'] == pytest.approx(1.0367568, abs=1e-6)
    # two values: t_{0.975, 1} = 12.7062047
    two = t_interval([0.0, 2.0])
    assert two['low'] == pytest.approx(1 - 12.7062047, abs=1e-6)
    one = t_interval([4.0])
    assert one['mean'] == 4.0 and one['low'] is None and one['sd'] is None
    assert not interval_above_zero(one)


def test_paired_differences_pair_by_seed():
    a = {0: 50.0, 1: 52.0, 2: 55.0, 3: 51.0}
    b = {1: 50.0, 2: 50.5, 3: 49.0, 7: 10.0}  # seeds 0 and 7 are unpaired
    out = paired_differences(a, b)
    assert out['seeds'] == [1, 2, 3] and out['diffs'] == [2.0, 4.5, 2.0]
    ref = t_interval([2.0, 4.5, 2.0])
    assert out['low'] == ref['low'] and out['mean'] == pytest.approx(17 / 6)
    # mean 2.8333, sd 1.4434, t_{0.975, 2} = 4.302653: low -0.7524 < 0
    assert out['low'] == pytest.approx(17 / 6 - 4.302652729749464 *
                                       1.4433756729740645 / math.sqrt(3),
                                       abs=1e-9)
    assert not interval_above_zero(out)
    assert interval_above_zero(paired_differences({0: 3, 1: 4, 2: 5},
                                                  {0: 1, 1: 1, 2: 1}))
    with pytest.raises(ValueError, match='no common seeds'):
        paired_differences({0: 1.0}, {1: 1.0})
