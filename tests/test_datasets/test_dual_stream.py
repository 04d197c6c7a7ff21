"""DualStreamDataset and dual_stream_collate: per-draw seeding, the two
streams' layout, and the natural stream read through the RS guard."""
import random

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmgersp.datasets import DualStreamDataset, dual_stream_collate
from tests.test_datasets.helpers import index_dataset, write_images


def draws(results: dict) -> dict:
    """A pipeline step reading Python's, NumPy's and torch's generators."""
    return dict(results, draws=(random.random(), np.random.rand(),
                                torch.rand(1).item()))


def test_a_keyed_draw_is_seeded_by_its_key_alone():
    ds = DualStreamDataset([index_dataset(3, [draws]),
                            index_dataset(5, [draws])])
    assert ds.stream_sizes == (3, 5)
    first = ds[(4, (7, 0, 11))]
    np.random.rand(5)  # other draws in between change nothing
    assert ds[(4, (7, 0, 11))] == first
    assert first['index'] == 1  # sample 4 of the concat: natural sample 1
    seed = int(np.random.SeedSequence([7, 0, 11]).generate_state(1)[0])
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)
    assert first['draws'] == (random.random(), np.random.rand(),
                              torch.rand(1).item())
    assert ds[(4, (7, 0, 12))]['draws'] != first['draws']
    # the caller's generators are as they were
    np.random.seed(0)
    random.seed(0)
    state = np.random.get_state()[1].copy(), random.getstate()
    ds[(0, (7, 0, 0))]
    assert np.array_equal(np.random.get_state()[1], state[0])
    assert random.getstate() == state[1]
    # a plain index works as in ConcatDataset
    assert ds[2]['index'] == 2 and ds[3]['index'] == 0


def test_needs_exactly_two_datasets():
    with pytest.raises(ValueError, match=r'exactly two datasets, \[rs, '
                       r'natural\]; got 1'):
        DualStreamDataset([index_dataset(3)])


def test_collate_stacks_each_stream_and_gathers_the_labels():
    rs = [dict(inputs=[torch.full((3, 2, 2), i), torch.full((3, 2, 2), -i)],
               data_samples=DataSample()) for i in range(2)]
    nat = [dict(inputs=torch.full((3, 2, 2), 10 + i),
                data_samples=DataSample().set_gt_label(label))
           for i, label in enumerate((3, 5, 1))]
    out = dual_stream_collate([rs[0], nat[0], rs[1], nat[1], nat[2]])
    view1, view2 = out['inputs']['rs']
    assert view1[:, 0, 0, 0].tolist() == [0, 1]
    assert view2[:, 0, 0, 0].tolist() == [0, -1]
    assert out['inputs']['nat'][:, 0, 0, 0].tolist() == [10, 11, 12]
    assert out['data_samples']['nat_labels'].tolist() == [3, 5, 1]
    assert len(out['data_samples']['rs']) == 2
    with pytest.raises(ValueError, match='got 2 RS and 0 natural samples'):
        dual_stream_collate(rs)


def stream_cfgs(tmp_path, max_bad_images):
    write_images(tmp_path / 'rs', ['a.png', 'b.png'])
    write_images(tmp_path / 'nat' / 'cat', ['c0.png', 'c1.png'])
    write_images(tmp_path / 'nat' / 'dog', ['d0.png'])
    (tmp_path / 'nat' / 'dog' / 'broken.png').write_bytes(b'not a png')
    load = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    return [dict(type='RSImageFolder', data_root=str(tmp_path / 'rs'),
                 pipeline=load, max_bad_images=max_bad_images),
            dict(type='CustomDataset', data_root=str(tmp_path / 'nat'),
                 pipeline=load)]


def test_a_broken_natural_image_is_skipped_by_the_rs_guard(tmp_path):
    ds = DualStreamDataset(stream_cfgs(tmp_path, max_bad_images=5))
    rs, nat = ds.datasets
    assert ds.natural_guard is rs.guard  # one budget for both streams
    broken = [i for i in range(len(nat))
              if nat.get_data_info(i)['img_path'].endswith('broken.png')]
    assert broken == [2]  # cat/c0, cat/c1, dog/broken, dog/d0
    sample = ds[(2 + broken[0], (0, 0, 0))]
    assert not sample['data_samples'].img_path.endswith('broken.png')
    assert rs.bad_images == [str(tmp_path / 'nat' / 'dog' / 'broken.png')]


def test_past_max_bad_images_the_error_names_the_file(tmp_path):
    ds = DualStreamDataset(stream_cfgs(tmp_path, max_bad_images=0))
    with pytest.raises(RuntimeError, match=r'CustomDataset: 1 unreadable '
                       r'images \(max_bad_images=0\); last: .*broken\.png'):
        ds[2 + 2]
