"""DualStreamSampler: composition, ranks, epochs, seeds, resume."""
import itertools

import pytest
from mmgersp.datasets import DualStreamDataset, DualStreamSampler

from tests.test_datasets.helpers import index_dataset


def make(n_rs_items=50, n_nat_items=130, rank=0, world_size=1, **kwargs):
    dataset = DualStreamDataset(
        [index_dataset(n_rs_items), index_dataset(n_nat_items)])
    kwargs = dict(dict(n_rs=4, n_nat=6, seed=7), **kwargs)
    sampler = DualStreamSampler(dataset, **kwargs)
    # The sampler reads rank/world size from torch.distributed; a real
    # 2-process run is covered in tests/test_distributed.
    sampler.rank, sampler.world_size = rank, world_size
    return sampler


def batches(sampler):
    return sampler.batch_indices()


def test_every_batch_holds_n_rs_then_n_nat():
    sampler = make()
    for batch in batches(sampler):
        assert len(batch) == 10
        assert all(i < 50 for i in batch[:4])
        assert all(50 <= i < 180 for i in batch[4:])
    keys = list(sampler)
    assert [k[0] for k in keys] == list(itertools.chain(*batches(sampler)))
    assert len(sampler) == len(keys)
    # every draw gets its own augmentation seed: (seed, epoch, position)
    assert [k[1] for k in keys] == [(7, 0, p) for p in range(len(keys))]


@pytest.mark.parametrize('rule,expected', [('longest', 22), ('shortest', 13),
                                           ('rs', 13), ('nat', 22)])
def test_epoch_length_rules(rule, expected):
    # RS: ceil(50 / 4) = 13 batches per pass; natural: ceil(130 / 6) = 22
    assert make(epoch_length=rule).num_batches == expected


def test_longest_rule_passes_larger_stream_and_cycles_smaller():
    sampler = make()
    b = batches(sampler)
    nat = [i for batch in b for i in batch[4:]]
    rs = [i for batch in b for i in batch[:4]]
    assert set(nat) == set(range(50, 180))  # one full pass (+ wrap pad)
    assert len(nat) == 22 * 6
    assert len(rs) == 22 * 4 and set(rs) == set(range(50))  # cycled
    first_cycle = rs[:50]
    assert sorted(first_cycle) == list(range(50))


def test_ranks_are_disjoint_and_cover_each_stream():
    world = 3
    samplers = [make(rank=r, world_size=world) for r in range(world)]
    assert len({s.num_batches for s in samplers}) == 1
    nat_per_rank = [{i for b in batches(s) for i in b[4:]} for s in samplers]
    # 130 natural samples, 8 batches x 6 x 3 ranks = 144 >= 130: full cover
    assert set.union(*nat_per_rank) == set(range(50, 180))
    first_pass = [[i for b in batches(s) for i in b[4:]] for s in samplers]
    # within the first pass no sample is given to two ranks
    seen = list(itertools.chain(*first_pass))
    assert len(set(seen)) == 130 and len(seen) == 144
    rs_first_cycle = set()
    for s in samplers:
        rs = [i for b in batches(s) for i in b[:4]]
        rs_first_cycle.update(rs[:50 // world])
    assert len(rs_first_cycle) == 3 * (50 // world)


def test_epoch_reshuffles_and_seed_determines():
    a, b = make(), make()
    assert batches(a) == batches(b)
    a.set_epoch(1)
    assert batches(a) != batches(b)
    b.set_epoch(1)
    assert batches(a) == batches(b)
    assert batches(make(seed=8)) != batches(make(seed=7))
    unshuffled = make(shuffle=False)
    assert batches(unshuffled)[0][:4] == [0, 1, 2, 3]


def test_exact_continuation_after_resume():
    straight = make()
    straight.set_epoch(2)
    full = batches(straight)
    resumed = make()  # a new process, after a checkpoint at batch 9
    resumed.set_epoch(2)
    resumed.skip_batches = 9
    assert batches(resumed) == full[9:]
    assert list(resumed) == list(straight)[9 * 10:]  # same seeds too
    resumed.set_epoch(3)  # the next epoch starts from its first batch
    assert resumed.skip_batches == 0
    straight.set_epoch(3)
    assert batches(resumed) == batches(straight)


def test_infinite_mode_runs_on_through_the_epochs_of_the_finite_one():
    finite, infinite = make(), make(infinite=True)
    per_epoch = len(finite)  # 22 batches x 10
    assert len(infinite) == per_epoch == 220  # one epoch, for mmengine
    expected = []
    for epoch in range(3):  # what IterBasedTrainLoop's restarts would see
        finite.set_epoch(epoch)
        expected += list(finite)
    keys = list(itertools.islice(iter(infinite), 3 * per_epoch))
    assert keys == expected
    assert keys[per_epoch] == (expected[per_epoch][0], (7, 1, 0))
    # a resumed epoch continues there, then the next epochs follow whole
    infinite.set_epoch(2)
    infinite.skip_batches = 5
    finite.set_epoch(3)
    keys = list(itertools.islice(iter(infinite), 17 * 10 + per_epoch))
    assert keys == expected[2 * per_epoch + 50:] + list(finite)


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match='DualStreamDataset'):
        DualStreamSampler(index_dataset(10), n_rs=2, n_nat=2)
    with pytest.raises(ValueError, match='n_rs'):
        make(n_rs=0)
    with pytest.raises(ValueError, match='epoch_length'):
        make(epoch_length='forever')
