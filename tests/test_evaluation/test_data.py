"""Image loading and normalisation for the evaluation, on the AID sample
(scanning and the split: tests/test_datasets/test_class_folders.py)."""
import numpy as np

from mmgersp.evaluation import (ImageListDataset, deterministic_split,
                                load_image, scan_class_folders)


def test_images(aid_root):
    _, samples = scan_class_folders(aid_root)
    train, _ = deterministic_split(samples, 0.5, 0, max_per_class=2)
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
