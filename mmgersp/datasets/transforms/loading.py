"""Decode an image at the smallest size its random-resized crops allow."""
import logging
import math
import warnings
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

# DCT scale factors libjpeg can decode at, and OpenCV's flags for them.
JPEG_SCALES = (8, 4, 2, 1)
REDUCED_FLAGS = {1: 1, 2: 17, 4: 33, 8: 65}  # cv2.IMREAD_(REDUCED_)COLOR(_s)
# Crop box in original-image pixels: (x0, y0, width, height).
Box = Tuple[int, int, int, int]


# Keys of the notes logged in this process (see ``_note_once``).
NOTED: set = set()


def _note_once(key: str, msg: str) -> None:
    """Log ``msg`` once per process and ``key``: per-image warnings would
    flood the log of a run over millions of files."""
    if key not in NOTED:
        NOTED.add(key)
        print_log(msg, logger='current', level=logging.WARNING)


@TRANSFORMS.register_module()
class LoadImageRandomResizedCrop(BaseTransform):
    """``LoadImageFromFile`` + ``num_views`` x ``RandomResizedCrop``, fused.

    The crop boxes are drawn first, from the image header, in original-image
    coordinates and by mmpretrain's own ``RandomResizedCrop.rand_crop_params``
    (so the crop distribution is the one of the unfused pipeline); only then
    is the file decoded, as small as every box still allows: a JPEG is
    decoded at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT scaling, OpenCV's
    ``IMREAD_REDUCED_COLOR_*``) when each box keeps at least ``scale`` pixels
    per side at that size. Each box is then cropped and resized with the
    bilinear filter of mmpretrain's pillow backend. A crop of a 16k x 16k JPEG
    scene thus decodes about 2k x 2k pixels.
    Formats without reduced decoding (PNG, TIFF, ...) are decoded whole; the
    first such image that could have been reduced is noted in the log.

    Images of more than 8 bits (16-bit PNG/TIFF, 32-bit integer or float) are
    read with their real values (OpenCV) and scaled to 8 bits, never
    truncated: by ``255 / (2**bit_depth - 1)``, where ``bit_depth`` is this
    option or, when None, the smallest depth >= 8 that holds the image's
    maximum (12-bit data in a 16-bit file: 0..4095 -> 0..255); a warning is
    logged once per depth. Set ``bit_depth`` when a dataset's images have
    different maxima, so that all are scaled alike. A multi-page file (TIFF,
    GIF) uses its first page, with a warning the first time.

    **Required Keys:**

    - img_path

    **Added Keys:**

    - img (BGR uint8, as ``LoadImageFromFile``: one ``scale x scale``
      image, or a list of ``num_views`` of them)
    - img_shape (the output size)
    - ori_shape (the file's size)
    - crop_bbox (one ``(x0, y0, w, h)`` per view, original pixels)
    - decode_scale (the JPEG reduction used, 1 = none)

    Args:
        scale (int | tuple): Output size, ``(h, w)`` (as mmpretrain's) or
            one side.
        crop_ratio_range, aspect_ratio_range, max_attempts: As in
            mmpretrain's ``RandomResizedCrop`` (area fraction, w/h range).
        num_views (int): Crops of the same decoded image. 1 returns an array,
            more a list (the two RS views of GeRSP).
        bit_depth (int, optional): Depth of > 8-bit images, see above.
        reduced_decode (bool): Use JPEG reduced decoding. Defaults to True.
        output (str): ``'numpy'``: ``H x W x 3`` arrays, for transforms that
            follow (``LoadImageFromFile``'s format); ``'tensor'``: the same
            pixels as ``H x W x 3`` uint8 tensors, which ``PackInputs``
            passes on and the collate stacks with plain copies:
            ``DualStreamDataPreprocessor`` views the ``N x H x W x 3`` batch
            as channels_last ``N x 3 x H x W`` on the device, so no transpose
            is paid on the host (for the device colour path).
    """

    def __init__(self,
                 scale: Union[int, Sequence[int]] = 224,
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10,
                 num_views: int = 1,
                 bit_depth: Optional[int] = None,
                 reduced_decode: bool = True,
                 output: str = 'numpy') -> None:
        from mmpretrain.datasets.transforms import RandomResizedCrop
        if num_views < 1:
            raise ValueError(f'LoadImageRandomResizedCrop: num_views must be '
                             f'>= 1, got {num_views}')
        if bit_depth is not None and not 8 <= bit_depth <= 32:
            raise ValueError('LoadImageRandomResizedCrop: bit_depth must be '
                             f'in [8, 32], got {bit_depth}')
        # Only its parameter draw is used: the same code, the same numbers.
        self.rrc = RandomResizedCrop(
            scale=scale, crop_ratio_range=crop_ratio_range,
            aspect_ratio_range=aspect_ratio_range, max_attempts=max_attempts)
        self.out_w, self.out_h = self.rrc.scale[1], self.rrc.scale[0]
        if output not in ('numpy', 'tensor'):
            raise ValueError('LoadImageRandomResizedCrop: output must be '
                             f"'numpy' or 'tensor', got {output!r}")
        self.output = output
        self.num_views = num_views
        self.bit_depth = bit_depth
        self.reduced_decode = reduced_decode

    # ------------------------------------------------------------------
    def draw_boxes(self, w: int, h: int) -> List[Box]:
        """``num_views`` crop boxes for a ``w x h`` image."""
        shape_only = np.broadcast_to(np.uint8(0), (h, w))  # no allocation
        boxes = []
        for _ in range(self.num_views):
            y0, x0, ch, cw = self.rrc.rand_crop_params(shape_only)
            boxes.append((int(x0), int(y0), int(cw), int(ch)))
        return boxes

    def reduction(self, boxes: Sequence[Box]) -> int:
        """Largest JPEG scale keeping every box >= the output size."""
        room = min(min(cw / self.out_w, ch / self.out_h)
                   for _, _, cw, ch in boxes)
        return next(s for s in JPEG_SCALES if s <= max(room, 1))

    def transform(self, results: dict) -> dict:
        import cv2
        path = results['img_path']
        w, h, fmt, high_bit = _probe(path)
        boxes = self.draw_boxes(w, h)
        want = self.reduction(boxes) if self.reduced_decode else 1
        s = 1
        if high_bit:
            img = self._read_high_bit(path)
        else:
            if want > 1 and fmt == 'JPEG':
                s = want  # output pixel i covers original [i*s, (i+1)*s)
            elif want > 1:
                _note_once(
                    f'full-decode-{fmt}',
                    f'LoadImageRandomResizedCrop: {fmt} images are decoded '
                    f'at full size (the format has no reduced decoding): e.g.'
                    f' {path} ({w} x {h}) for crops that {want}x fewer pixels'
                    ' per side would serve. JPEG scenes decode reduced (noted'
                    ' once per format)')
            if fmt == 'JPEG':
                _check_jpeg_end(path)
            # OpenCV: libjpeg-turbo's scaled IDCT; 1.7x faster than PIL here
            img = cv2.imread(path, REDUCED_FLAGS[s])
            if img is None:  # e.g. GIF: PIL decodes what OpenCV cannot
                img = _pil_decode(path)
        if img.shape[:2] != (-(-h // s), -(-w // s)):
            raise ValueError(
                f'{path}: decoded {img.shape[1]} x {img.shape[0]} pixels at '
                f'1/{s}, but its header says {w} x {h}')
        views = [self._crop_resize(img, box, s) for box in boxes]
        results['img'] = views[0] if self.num_views == 1 else views
        results.update(
            img_shape=(self.out_h, self.out_w), ori_shape=(h, w),
            crop_bbox=boxes, decode_scale=s)
        return results

    def _crop_resize(self, img: np.ndarray, box: Box,
                     s: int) -> Union[np.ndarray, torch.Tensor]:
        """Crop ``box`` (original pixels) of ``img`` (decoded at 1/s) and
        resize it as mmpretrain's pillow backend does: PIL's bilinear, which
        widens its filter to antialias a downscale. An upscale, where PIL's
        bilinear is plain bilinear interpolation, runs in OpenCV (5x
        faster, within one grey level)."""
        import cv2
        from PIL import Image
        x0, y0, cw, ch = box
        size = (self.out_w, self.out_h)
        if s == 1 and cw <= self.out_w and ch <= self.out_h:
            out = cv2.resize(img[y0:y0 + ch, x0:x0 + cw], size,
                             interpolation=cv2.INTER_LINEAR)
        else:  # channels are resized alike: BGR passes through PIL as is
            out = np.array(Image.fromarray(img).resize(
                size, Image.BILINEAR,
                box=(x0 / s, y0 / s, (x0 + cw) / s, (y0 + ch) / s)))
        return out if self.output == 'numpy' else torch.from_numpy(out)

    def _read_high_bit(self, path: str) -> np.ndarray:
        """Real values of a > 8-bit image, scaled to uint8 BGR."""
        import cv2
        arr = cv2.imread(path, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
        if arr is None:
            raise OSError(f'cannot decode the > 8-bit image {path}')
        if arr.ndim == 3:
            arr = arr[..., :3] if arr.shape[2] >= 3 else arr[..., :1]
        if arr.ndim == 2 or arr.shape[2] == 1:
            arr = np.repeat(arr.reshape(arr.shape[0], arr.shape[1], 1), 3, 2)
        peak = float(arr.max()) if arr.size else 0.
        if self.bit_depth is not None:
            bits = self.bit_depth
        elif np.issubdtype(arr.dtype, np.floating) and peak <= 1.:
            bits = None  # float image in [0, 1]
        else:
            bits = max(8, int(math.ceil(peak)).bit_length())
        top = 1. if bits is None else float(2**bits - 1)
        _note_once(
            f'bits-{arr.dtype}-{bits}',
            f'LoadImageRandomResizedCrop: {path} is a {arr.dtype} image with '
            f'values up to {peak:g}; scaled to 8 bits by 255/{top:g} ('
            + (f'bit_depth={self.bit_depth}' if self.bit_depth else
               f'{bits}-bit data by its maximum; set bit_depth to scale every '
               'image alike') + '). Noted once per depth')
        return np.clip(np.rint(arr * (255. / top)), 0, 255).astype(np.uint8)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.rrc.scale}, '
                f'crop_ratio_range={self.rrc.crop_ratio_range}, '
                f'aspect_ratio_range={self.rrc.aspect_ratio_range}, '
                f'num_views={self.num_views}, bit_depth={self.bit_depth}, '
                f'reduced_decode={self.reduced_decode}, '
                f'output={self.output!r})')


def _probe(path: str) -> Tuple[int, int, str, bool]:
    """Width and height as OpenCV decodes the file (EXIF orientation
    applied), its format, and whether it holds more than 8 bits; from the
    header alone. Warns once for multi-page files."""
    from PIL import Image
    with warnings.catch_warnings():
        # Scenes of 16k x 16k are legitimate here, and decoded reduced.
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = Image.open(path)
        finally:
            Image.MAX_IMAGE_PIXELS = limit
    with img:
        w, h = img.size
        pages = getattr(img, 'n_frames', 1)
        if pages > 1:
            _note_once(
                'multipage', f'LoadImageRandomResizedCrop: {path} has {pages} '
                'pages; using the first (noted once, for the first multi-page'
                ' file)')
        high_bit = _high_bit_depth(img)
        if not high_bit and img.format == 'JPEG' and \
                img.getexif().get(0x0112, 1) in (5, 6, 7, 8):
            w, h = h, w  # OpenCV applies the EXIF rotation, as mmcv does
        return w, h, img.format, high_bit


def _check_jpeg_end(path: str, tail: int = 4096) -> None:
    """Refuse a JPEG without its end-of-image marker (FF D9).

    OpenCV decodes a truncated JPEG anyway, filling the missing rows with
    grey, and only says so on stderr; such a file is an unreadable image to
    skip (``RSImageFolder``), not a training sample. The marker cannot occur
    inside entropy-coded data, so it is looked for in the last ``tail``
    bytes (some writers append a few bytes after it).
    """
    with open(path, 'rb') as f:
        f.seek(0, 2)
        f.seek(max(f.tell() - tail, 0))
        if b'\xff\xd9' not in f.read():
            raise OSError(f'{path}: truncated JPEG (no end-of-image marker)')


def _pil_decode(path: str) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as img:
        return np.ascontiguousarray(np.asarray(img.convert('RGB'))[..., ::-1])


def _high_bit_depth(img) -> bool:
    """Whether PIL would truncate this image to 8 bits."""
    if img.mode in ('I', 'F') or img.mode.startswith('I;16'):
        return True
    for tile in getattr(img, 'tile', None) or []:
        args = tile[3] if len(tile) > 3 else None
        raw = args[0] if isinstance(args, tuple) and args else args
        if isinstance(raw, str) and (';16' in raw or ';32' in raw):
            return True
    return False
