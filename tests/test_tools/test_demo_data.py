"""tools/demo_data.py: the demo's generated data sets, small and repeatable."""
import os

import numpy as np
from PIL import Image

from tests.conftest import load_tool

demo_data = load_tool('demo_data.py')


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, names in os.walk(root) for f in names)


def test_make_demo_data_layout_and_seed(tmp_path):
    rs, nat = demo_data.make_demo_data(str(tmp_path / 'a'), num_rs=3,
                                       num_per_class=2, size=24, seed=1)
    assert _files(rs) == ['tile_0000.jpg', 'tile_0001.jpg', 'tile_0002.jpg']
    assert _files(nat) == [f'{c}/{c}_{i:04d}.jpg'
                           for c in sorted(demo_data.NATURAL_CLASSES)
                           for i in range(2)]
    img = Image.open(os.path.join(nat, 'disc', 'disc_0000.jpg'))
    assert (img.mode, img.size) == ('RGB', (24, 24))
    # the same seed draws the same images; a rerun keeps existing files
    again, _ = demo_data.make_demo_data(str(tmp_path / 'b'), num_rs=3,
                                        num_per_class=2, size=24, seed=1)
    tile = os.path.join(rs, 'tile_0001.jpg')
    np.testing.assert_array_equal(
        np.asarray(Image.open(tile)),
        np.asarray(Image.open(os.path.join(again, 'tile_0001.jpg'))))
    before = os.stat(tile).st_mtime_ns
    demo_data.make_demo_data(str(tmp_path / 'a'), num_rs=3, num_per_class=2,
                             size=24, seed=2)
    assert os.stat(tile).st_mtime_ns == before
