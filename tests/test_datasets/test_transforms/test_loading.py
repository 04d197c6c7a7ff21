"""LoadImageRandomResizedCrop: same crops, smaller decode, no silent input."""
import logging

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmpretrain.datasets.transforms import RandomResizedCrop
from PIL import Image

from mmgersp.datasets.transforms import LoadImageRandomResizedCrop
from mmgersp.datasets.transforms import loading


class Records(logging.Handler):
    """Collects the messages mmengine's current logger emits."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def log():
    loading.NOTED.clear()  # notes are once per process
    logger = MMLogger.get_current_instance()
    handler = Records()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)


def _smooth_rgb(w: int, h: int) -> np.ndarray:
    """A colourful image without high frequencies (JPEG-friendly)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([127 + 120 * np.sin(x / 97), 127 + 120 * np.cos(y / 61),
                    127 + 120 * np.sin((x + y) / 143)], -1)
    return img.astype(np.uint8)


def test_crop_boxes_are_mmpretrains_draws():
    """Same seed, same boxes as RandomResizedCrop draws on the image."""
    fused = LoadImageRandomResizedCrop(scale=224, crop_ratio_range=(0.2, 1.),
                                       num_views=2)
    rrc = RandomResizedCrop(scale=224, crop_ratio_range=(0.2, 1.))
    for seed, (w, h) in enumerate([(150, 150), (500, 375), (31, 900),
                                   (16000, 9000)]):
        np.random.seed(seed)
        boxes = fused.draw_boxes(w, h)
        np.random.seed(seed)
        img = np.zeros((h, w, 1), np.uint8)
        expected = []
        for _ in range(2):
            y0, x0, ch, cw = rrc.rand_crop_params(img)
            expected.append((x0, y0, cw, ch))
        assert boxes == expected


def test_reduced_decode_matches_full_decode(tmp_path):
    path = str(tmp_path / 'scene.jpg')
    cv2.imwrite(path, _smooth_rgb(1800, 1400), [cv2.IMWRITE_JPEG_QUALITY, 95])
    kw = dict(scale=112, crop_ratio_range=(0.5, 1.), num_views=2)
    outs = {}
    for reduced in (True, False):
        np.random.seed(3)
        r = LoadImageRandomResizedCrop(reduced_decode=reduced, **kw)(
            dict(img_path=path))
        outs[reduced] = r
    assert outs[True]['crop_bbox'] == outs[False]['crop_bbox']
    # boxes of >= half of 1800 x 1400 (aspect 3/4..4/3) have sides >= 972
    # px: >= 112 px each at 1/8
    assert outs[True]['decode_scale'] == 8
    assert outs[False]['decode_scale'] == 1
    for a, b in zip(outs[True]['img'], outs[False]['img']):
        assert a.shape == b.shape == (112, 112, 3) and a.dtype == np.uint8
        diff = np.abs(a.astype(int) - b.astype(int))
        assert diff.mean() < 2.0, diff.mean()


def test_tensor_output_is_the_packed_numpy_output(tmp_path):
    path = str(tmp_path / 'x.jpg')
    cv2.imwrite(path, _smooth_rgb(300, 200))
    kw = dict(scale=64, num_views=2)
    np.random.seed(0)
    a = LoadImageRandomResizedCrop(**kw)(dict(img_path=path))['img']
    np.random.seed(0)
    b = LoadImageRandomResizedCrop(output='tensor', **kw)(
        dict(img_path=path))['img']
    for x, y in zip(a, b):
        assert isinstance(y, torch.Tensor) and y.shape == (64, 64, 3)
        assert torch.equal(y, torch.from_numpy(x))


def test_full_image_box_keeps_pixels_and_bgr(tmp_path):
    img = _smooth_rgb(40, 30)
    path = str(tmp_path / 'x.png')
    cv2.imwrite(path, img)
    t = LoadImageRandomResizedCrop(scale=(30, 40), crop_ratio_range=(1., 1.),
                                   aspect_ratio_range=(4 / 3, 4 / 3))
    r = t(dict(img_path=path))
    assert r['crop_bbox'] == [(0, 0, 40, 30)]
    assert r['ori_shape'] == (30, 40) and r['img_shape'] == (30, 40)
    np.testing.assert_array_equal(r['img'], img)  # BGR, as cv2 wrote it


def test_16k_jpeg_scene_decodes_at_one_eighth(tmp_path):
    path = str(tmp_path / 'scene16k.jpg')
    Image.new('L', (16000, 16000), 90).save(path, quality=75)
    np.random.seed(0)
    r = LoadImageRandomResizedCrop(scale=224, crop_ratio_range=(0.2, 1.),
                                   num_views=2)(dict(img_path=path))
    # 2000 x 2000 decoded instead of 16000 x 16000 (768 MB as RGB)
    assert r['decode_scale'] == 8
    assert r['ori_shape'] == (16000, 16000)
    assert [v.shape for v in r['img']] == [(224, 224, 3)] * 2
    assert all(abs(float(v.mean()) - 90) < 2 for v in r['img'])


def test_png_that_could_be_reduced_is_noted_once(tmp_path, log):
    for i in range(2):
        cv2.imwrite(str(tmp_path / f'{i}.png'), _smooth_rgb(1000, 1000))
    t = LoadImageRandomResizedCrop(scale=112, crop_ratio_range=(0.9, 1.))
    for i in range(2):
        assert t(dict(img_path=str(tmp_path / f'{i}.png')))[
            'decode_scale'] == 1
    notes = [m for m in log if 'decoded at full size' in m]
    assert len(notes) == 1 and 'PNG' in notes[0] and '0.png' in notes[0]


# The writers of 16-bit grayscale TIFFs users meet (GDAL-like tifffile,
# PIL, OpenCV): each file holds 12-bit data, 0..4095.
TIFF_WRITERS = {
    'cv2': lambda path, img: cv2.imwrite(path, img),
    'pil': lambda path, img: Image.fromarray(img).save(path),
    'tifffile': lambda path, img: __import__('tifffile').imwrite(
        path, img, compression='zlib'),
}


@pytest.mark.parametrize('writer', sorted(TIFF_WRITERS))
def test_12_bit_data_in_16_bit_tiff_is_scaled_not_truncated(tmp_path, log,
                                                            writer):
    ramp = np.array([[0, 1000, 2048, 4095]], np.uint16).repeat(2, 0)
    path = str(tmp_path / 'dem.tif')
    TIFF_WRITERS[writer](path, ramp)
    full = dict(scale=(2, 4), crop_ratio_range=(1., 1.),
                aspect_ratio_range=(2., 2.))
    out = LoadImageRandomResizedCrop(**full)(dict(img_path=path))['img']
    expected = np.rint(ramp * (255 / 4095)).astype(np.uint8)
    assert expected[0].tolist() == [0, 62, 128, 255]
    np.testing.assert_array_equal(out, np.repeat(expected[..., None], 3, 2))
    assert out.max() == 255  # cv2/PIL 8-bit loading gives 15 (4095 >> 8)
    notes = [m for m in log if 'dem.tif' in m]
    assert len(notes) == 1 and '4095' in notes[0] and 'bit_depth' in notes[0]
    # a fixed depth scales every image alike
    out16 = LoadImageRandomResizedCrop(bit_depth=16, **full)(
        dict(img_path=path))['img']
    assert out16[0, 3, 0] == round(4095 * 255 / 65535) == 16


def test_16_bit_rgb_png_keeps_its_colours(tmp_path):
    bgr = np.zeros((2, 2, 3), np.uint16)
    bgr[..., 0], bgr[..., 2] = 60000, 3000  # blue high, red low
    path = str(tmp_path / 'rgb16.png')
    cv2.imwrite(path, bgr)
    out = LoadImageRandomResizedCrop(scale=2, crop_ratio_range=(1., 1.),
                                     aspect_ratio_range=(1., 1.))(
        dict(img_path=path))['img']
    assert out[0, 0].tolist() == [round(60000 * 255 / 65535), 0,
                                  round(3000 * 255 / 65535)]


def test_multipage_tiff_uses_first_page_and_warns_once(tmp_path, log):
    red, blue = (Image.new('RGB', (8, 8), c) for c in ('red', 'blue'))
    path = str(tmp_path / 'pages.tif')
    red.save(path, save_all=True, append_images=[blue])
    t = LoadImageRandomResizedCrop(scale=8, crop_ratio_range=(1., 1.),
                                   aspect_ratio_range=(1., 1.))
    for _ in range(2):
        out = t(dict(img_path=path))['img']
        assert out[0, 0].tolist() == [0, 0, 255]  # BGR red
    notes = [m for m in log if 'pages' in m]
    assert len(notes) == 1 and '2 pages' in notes[0]


@pytest.mark.parametrize('kwargs, key', [
    (dict(num_views=0), 'num_views'), (dict(bit_depth=4), 'bit_depth'),
    (dict(output='pil'), 'output')])
def test_bad_arguments_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key):
        LoadImageRandomResizedCrop(**kwargs)


def test_unreadable_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'not an image')
    with pytest.raises(Exception, match='broken.jpg'):
        LoadImageRandomResizedCrop()(dict(img_path=str(path)))
