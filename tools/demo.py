"""GeRSP end to end in minutes on a CPU: data -> pre-training -> export.

    python tools/demo.py [--rs-root DIR] [--natural-root DIR]
                         [--work-dir DIR] [--max-iters N]

Without roots it first generates a small synthetic data set (aerial-like
tiles for the RS stream, four drawn object classes for the natural stream).
``--rs-root`` takes any folder of images, ``--natural-root`` a class-folder
tree (``<root>/<class>/<image>``). The last line printed is the path of the
exported student backbone.
"""
import argparse
import os.path as osp
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.dirname(HERE))
DEMO_CONFIG = osp.join(osp.dirname(HERE), 'configs', 'gersp',
                       'gersp_resnet18_1xb16-demo.py')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rs-root', help='folder of RS images (any depth)')
    parser.add_argument('--natural-root', help='class-folder tree')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--max-iters', type=int, default=100)
    parser.add_argument('--config', default=DEMO_CONFIG)
    args = parser.parse_args()

    from mmengine.config import Config
    from mmengine.runner import Runner

    import mmgersp  # noqa: F401
    from mmgersp.utils import (export_backbone, make_demo_data,
                               set_data_roots, set_max_iters)

    rs_root, natural_root = args.rs_root, args.natural_root
    if rs_root is None or natural_root is None:
        gen_rs, gen_nat = make_demo_data(osp.join(args.work_dir, 'data'))
        print(f'generated demo data in {osp.join(args.work_dir, "data")}')
        rs_root, natural_root = rs_root or gen_rs, natural_root or gen_nat

    cfg = Config.fromfile(args.config)
    set_data_roots(cfg, rs_root, natural_root)
    set_max_iters(cfg, args.max_iters)
    cfg.work_dir = args.work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()

    ckpt = osp.join(args.work_dir, f'iter_{args.max_iters}.pth')
    out = export_backbone(
        ckpt, osp.join(args.work_dir, 'gersp_backbone.pth'),
        meta=dict(config=osp.basename(args.config)))
    print(f'training checkpoint: {osp.abspath(ckpt)}')
    print('exported student backbone (load with init_cfg=dict('
          "type='Pretrained', checkpoint=..., prefix='backbone.')):")
    print(osp.abspath(out))


if __name__ == '__main__':
    main()
