"""LoadMultiBandImage: any band count, values as stored, layouts named."""
import cv2
import numpy as np
import pytest
import tifffile

from mmgersp.datasets.transforms import LoadMultiBandImage


def test_band_first_geotiff_is_read_band_last_with_its_values(tmp_path):
    bands = np.arange(3 * 5 * 6, dtype=np.uint16).reshape(3, 5, 6) * 100
    path = str(tmp_path / 's2.tif')
    # (C, H, W), as GDAL writes a GeoTIFF: the band axis is the shortest
    tifffile.imwrite(path, bands)
    out = LoadMultiBandImage(num_bands=3)(dict(img_path=path))
    assert out['img'].dtype == np.float32 and out['img'].shape == (5, 6, 3)
    assert out['img'][1, 2].tolist() == [800., 3800., 6800.]
    assert out['img_shape'] == out['ori_shape'] == (5, 6)


def test_single_band_png_gets_a_band_axis(tmp_path):
    path = str(tmp_path / 'gray.png')
    cv2.imwrite(path, np.array([[0, 65535]], np.uint16))
    out = LoadMultiBandImage()(dict(img_path=path))['img']
    assert out.shape == (1, 2, 1) and out[0, :, 0].tolist() == [0., 65535.]


def test_unreadable_file_and_wrong_band_count_name_the_file(tmp_path):
    bad = tmp_path / 'bad.png'
    bad.write_bytes(b'not an image')
    with pytest.raises(OSError, match='cannot decode .*bad.png'):
        LoadMultiBandImage()(dict(img_path=str(bad)))
    path = str(tmp_path / 'rgb.tif')
    tifffile.imwrite(path, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r'rgb.tif: 3 bands, expected 4'):
        LoadMultiBandImage(num_bands=4)(dict(img_path=path))
