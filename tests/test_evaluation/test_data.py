"""Class-folder scanning and the deterministic split, on the AID sample."""
import numpy as np

from mmgersp.evaluation import (ImageListDataset, deterministic_split,
                                load_image, scan_class_folders,
                                write_ann_file)


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


def test_ann_file_and_images(aid_root, tmp_path):
    classes, samples = scan_class_folders(aid_root)
    train, _ = deterministic_split(samples, 0.5, 0, max_per_class=2)
    path = write_ann_file(train, str(tmp_path / 'train.txt'))
    lines = open(path).read().splitlines()
    assert lines == [f'{p} {l}' for p, l in train]

    img = load_image(f'{aid_root}/{train[0][0]}', 40)
    assert img.shape == (40, 40, 3) and img.dtype == np.uint8
    ds = ImageListDataset(aid_root, train, img_size=40)
    x, label = ds[0]
    assert x.shape == (3, 40, 40) and label == train[0][1]
    # ImageNet-normalised RGB: roughly zero-centred, unit-ish scale
    assert -3 < float(x.mean()) < 3 and 0.1 < float(x.std()) < 3
    bgr = ImageListDataset(aid_root, train, img_size=40,
                           mean=(0, 0, 0), std=(1, 1, 1),
                           channel_order='BGR')[0][0]
    assert np.array_equal(bgr.flip(0).permute(1, 2, 0).numpy(),
                          img.astype(np.float32))
