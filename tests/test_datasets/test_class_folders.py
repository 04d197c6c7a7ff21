"""Class-folder scanning, the deterministic split and annotation files
(mmgersp.datasets.class_folders), on the AID sample."""
import os

import numpy as np
import pytest

from mmgersp.datasets.class_folders import (NoClassFoldersError,
                                            deterministic_split,
                                            list_class_folders,
                                            scan_class_folders,
                                            write_ann_file, write_split)


def test_scan_finds_every_aid_image(aid_root):
    classes, samples = scan_class_folders(aid_root)
    assert len(classes) == 30 and classes == sorted(classes)
    assert len(samples) == 600
    counts = np.bincount([label for _, label in samples])
    assert (counts == 20).all()
    assert all(p.split('/')[0] == classes[label] for p, label in samples)


def test_split_is_per_class_disjoint_and_reproducible(aid_root):
    _, samples = scan_class_folders(aid_root)
    train, test = deterministic_split(samples, train_ratio=0.5, seed=0)
    assert len(train) == len(test) == 300
    assert not {p for p, _ in train} & {p for p, _ in test}
    assert (np.bincount([l for _, l in train]) == 10).all()
    # same inputs -> same split, whatever the listing order
    again = deterministic_split(samples[::-1], train_ratio=0.5, seed=0)
    assert again == (train, test)
    # another seed -> another split of the same sizes
    other, _ = deterministic_split(samples, train_ratio=0.5, seed=1)
    assert len(other) == 300 and other != train
    # a class's split does not depend on the other classes
    first_class = [s for s in samples if s[1] == 0]
    alone, _ = deterministic_split(first_class, train_ratio=0.5, seed=0)
    assert alone == [s for s in train if s[1] == 0]


def test_max_per_class_and_small_ratio(aid_root):
    _, samples = scan_class_folders(aid_root)
    train, test = deterministic_split(samples, 0.2, 0, max_per_class=6)
    assert len(train) == 30 * 1 and len(test) == 30 * 5
    # ratio so small it would round to 0: still one training image per class
    train, test = deterministic_split(samples, 0.01, 0)
    assert len(train) == 30 and len(test) == 570


def test_ann_files(aid_root, tmp_path):
    classes, samples = scan_class_folders(aid_root)
    train, test = deterministic_split(samples, 0.5, 0, max_per_class=2)
    path = write_ann_file(train, str(tmp_path / 'train.txt'))
    lines = open(path).read().splitlines()
    assert lines == [f'{p} {l}' for p, l in train]
    write_split(str(tmp_path / 'split'), classes, train, test)
    assert (tmp_path / 'split' / 'train.txt').read_bytes() == \
        (tmp_path / 'train.txt').read_bytes()
    assert (tmp_path / 'split' / 'classes.txt').read_text() == \
        ''.join(f'{c}\n' for c in classes)
    assert len((tmp_path / 'split' / 'test.txt').read_text().splitlines()) \
        == len(test) == 30


def test_bad_trees_name_the_root(aid_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='natural-image root .*nope'):
        list_class_folders(str(tmp_path / 'nope'), 'natural-image root')
    # no class folders: both a missing-data and a bad-argument error
    for error in (FileNotFoundError, ValueError):
        with pytest.raises(error, match='no class sub-folders'):
            list_class_folders(str(tmp_path))
    assert issubclass(NoClassFoldersError, (FileNotFoundError, ValueError))
    # hidden folders and files are not classes / images; an empty class is
    # an error that names it
    image = os.path.join(aid_root, 'Airport', 'airport_1.jpg')
    for cls in ('a', 'b', '.cache'):
        (tmp_path / cls).mkdir()
        os.symlink(image, tmp_path / cls / 'x.jpg')
    os.symlink(image, tmp_path / 'a' / '._x.jpg')
    (tmp_path / 'c').mkdir()
    with pytest.raises(FileNotFoundError, match=r"without images .*\['c'\]"):
        scan_class_folders(str(tmp_path))
    (tmp_path / 'c').rmdir()
    assert scan_class_folders(str(tmp_path)) == (
        ['a', 'b'], [('a/x.jpg', 0), ('b/x.jpg', 1)])
