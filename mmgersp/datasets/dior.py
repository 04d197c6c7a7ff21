"""DIOR with horizontal boxes, for mmdet (the paper's DIOR protocol).

mmdet 3.3 has no DIOR class, and mmrotate's ``DIORDataset`` lives in
mmrotate's scope and yields quadrilaterals. GeRSP reports DIOR with plain
horizontal-box detectors (Faster R-CNN, RetinaNet), so this reads DIOR's
VOC-like XMLs straight into mmdet. It is not imported by ``import mmgersp``
(that stays light, and needs no mmdet); the DIOR configs, the only
downstream configs that use an mmgersp module, import it alone::

    custom_imports = dict(
        imports=['mmgersp.datasets.dior'], allow_failed_imports=False)

Importing it checks the installed mmdet first (``pip install
"mmgersp[det]"``).
"""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List

from mmgersp.version import check_versions

check_versions({'mmdet': (('mmdet', ), '3.0.0', '4.0.0')},
               needed_by='mmgersp.datasets.dior')

from mmdet.datasets import XMLDataset  # noqa: E402
from mmdet.registry import DATASETS  # noqa: E402
from mmengine.fileio import list_from_file  # noqa: E402

DIOR_CLASSES = ('airplane', 'airport', 'baseballfield', 'basketballcourt',
                'bridge', 'chimney', 'dam', 'expressway-service-area',
                'expressway-toll-station', 'golffield', 'groundtrackfield',
                'harbor', 'overpass', 'ship', 'stadium', 'storagetank',
                'tenniscourt', 'trainstation', 'vehicle', 'windmill')


@DATASETS.register_module()
class DIORDataset(XMLDataset):
    """DIOR (Li et al., 2020): 23,463 800x800 images, 20 classes, HBB.

    Layout (the official release; the DIOR-R release adds the two
    ``Annotations`` sub-folders, the original one has the HBB XMLs directly
    in ``Annotations/``: pass ``ann_subdir='Annotations'`` then)::

        DIOR/
          JPEGImages-trainval/00001.jpg ...   JPEGImages-test/11726.jpg ...
          Annotations/Horizontal Bounding Boxes/00001.xml ...
          ImageSets/Main/{train,val,test}.txt

    Class names are matched case-insensitively: the XMLs spell some of them
    ``Expressway-Service-area`` or ``Expressway-toll-station``, and an
    unknown name is an error (naming the file), not a silently dropped box.
    Boxes are used as written (no VOC ``-1``), as mmrotate's DIOR does.

    Args:
        img_subdir (str): Image folder under ``data_root``.
            Defaults to ``'JPEGImages-trainval'``.
        ann_subdir (str): XML folder under ``data_root``.
            Defaults to ``'Annotations/Horizontal Bounding Boxes'``.
        minus_one (bool): Subtract 1 from the coordinates (VOC's 1-based
            convention). Defaults to False.
        **kwargs: ``mmdet.datasets.XMLDataset`` arguments (``data_root``,
            ``ann_file`` = an ``ImageSets/Main`` list, ``pipeline`` ...).
    """

    METAINFO = {
        'classes': DIOR_CLASSES,
        # mmrotate's DIOR palette, so the two DIOR datasets draw alike.
        'palette': [(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                    (106, 0, 228), (0, 60, 100), (0, 80, 100), (0, 0, 70),
                    (0, 0, 192), (250, 170, 30), (100, 170, 30),
                    (220, 220, 0), (175, 116, 175), (250, 0, 30),
                    (165, 42, 42), (255, 77, 255), (0, 226, 252),
                    (182, 182, 255), (0, 82, 0), (120, 166, 157)]
    }

    def __init__(self,
                 img_subdir: str = 'JPEGImages-trainval',
                 ann_subdir: str = 'Annotations/Horizontal Bounding Boxes',
                 minus_one: bool = False,
                 **kwargs) -> None:
        self.minus_one = minus_one
        kwargs.setdefault('data_prefix', dict(sub_data_root=''))
        super().__init__(
            img_subdir=img_subdir, ann_subdir=ann_subdir, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the image list, then each image's XML, failing early."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'DIOR image list {self.ann_file!r} not found (expected '
                '<data_root>/ImageSets/Main/{train,val,test}.txt)')
        self._lower2label = {
            c.lower(): i
            for i, c in enumerate(self._metainfo['classes'])
        }
        self.cat2label = {
            c: i
            for i, c in enumerate(self._metainfo['classes'])
        }
        img_ids = [
            i.strip() for i in list_from_file(
                self.ann_file, backend_args=self.backend_args) if i.strip()
        ]
        if not img_ids:
            raise ValueError(f'DIOR image list {self.ann_file!r} is empty')
        ann_dir = osp.join(self.sub_data_root, self.ann_subdir)
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(
                f'DIOR annotation folder {ann_dir!r} not found; the original '
                "release keeps the HBB XMLs in 'Annotations/' (set "
                "ann_subdir='Annotations'), DIOR-R in 'Annotations/"
                "Horizontal Bounding Boxes/'")
        data_list = []
        for img_id in img_ids:
            xml_path = osp.join(ann_dir, f'{img_id}.xml')
            if not osp.isfile(xml_path):
                raise FileNotFoundError(
                    f'DIOR: {xml_path!r} (listed in {self.ann_file!r}) '
                    'does not exist')
            data_list.append(
                self.parse_data_info(
                    dict(
                        img_id=img_id,
                        file_name=osp.join(self.img_subdir, f'{img_id}.jpg'),
                        xml_path=xml_path)))
        return data_list

    def _parse_instance_info(self,
                             raw_ann_info: ET.ElementTree,
                             minus_one: bool = True) -> List[dict]:
        """Boxes of one XML.

        ``XMLDataset.parse_data_info`` always passes VOC's ``minus_one=True``;
        DIOR's convention is the constructor's ``minus_one`` instead.
        """
        minus_one = self.minus_one
        instances = []
        for obj in raw_ann_info.findall('object'):
            name = obj.find('name').text.strip()
            label = self._lower2label.get(name.lower())
            if label is None:
                raise KeyError(
                    f'DIOR: unknown class {name!r} in '
                    f'{raw_ann_info.getroot().findtext("filename")!r}; '
                    f'known (any case): {self._metainfo["classes"]}')
            box = obj.find('bndbox')
            if box is None:
                raise ValueError(
                    f'DIOR: an object {name!r} without <bndbox> in '
                    f'{raw_ann_info.getroot().findtext("filename")!r}; '
                    'is ann_subdir the oriented-box folder?')
            bbox = [
                float(box.find(k).text)
                for k in ('xmin', 'ymin', 'xmax', 'ymax')
            ]
            if minus_one:
                bbox = [v - 1 for v in bbox]
            difficult = obj.find('difficult')
            difficult = 0 if difficult is None else int(difficult.text)
            ignore = bool(difficult)
            if self.bbox_min_size is not None:
                assert not self.test_mode
                ignore |= (bbox[2] - bbox[0] < self.bbox_min_size
                           or bbox[3] - bbox[1] < self.bbox_min_size)
            instances.append(
                dict(bbox=bbox, bbox_label=label, ignore_flag=int(ignore)))
        return instances
