"""Shuffle-BN (mmgersp.models.utils.shuffle_bn) in one process; the
two-rank exchange is tested in tests/test_distributed."""
import torch

from mmgersp.models.utils.shuffle_bn import (batch_shuffle_ddp,
                                             batch_unshuffle_ddp)


def test_one_process_skips_the_shuffle_and_draws_nothing():
    x = torch.arange(12.).view(4, 3)
    state = torch.get_rng_state()
    out, idx_unshuffle = batch_shuffle_ddp(x)
    # one process: BatchNorm sees the same batch in any order
    assert out is x and idx_unshuffle is None
    assert torch.equal(torch.get_rng_state(), state)  # no permutation drawn
    assert batch_unshuffle_ddp(out, None) is x


def test_unshuffle_inverts_a_shuffle_exactly():
    x = torch.arange(12.).view(4, 3)
    idx_shuffle = torch.tensor([2, 0, 3, 1])
    shuffled = x[idx_shuffle]
    restored = batch_unshuffle_ddp(shuffled, torch.argsort(idx_shuffle))
    assert restored.tolist() == x.tolist()
    assert batch_unshuffle_ddp(x, torch.tensor([1, 0, 3, 2])).tolist() == [
        [3., 4., 5.], [0., 1., 2.], [9., 10., 11.], [6., 7., 8.]]
