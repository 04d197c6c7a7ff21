"""GeRSP end to end in minutes on a CPU: data -> pre-training -> export.

    python tools/demo.py [--rs-root DIR] [--natural-root DIR]
                         [--work-dir DIR] [--max-iters N]

Without roots it first generates a small synthetic data set (aerial-like
tiles for the RS stream, four drawn object classes for the natural stream).
``--rs-root`` takes any folder of images, ``--natural-root`` a class-folder
tree (``<root>/<class>/<image>``). Each run writes its checkpoints and
export into a new time-stamped folder ``<work-dir>/run_YYYYmmdd_HHMMSS``, so
a rerun never overwrites an earlier one. The last line printed is the path
of the exported student backbone.
"""
import argparse
import os
import os.path as osp
import time

HERE = osp.dirname(osp.abspath(__file__))
DEMO_CONFIG = osp.join(osp.dirname(HERE), 'configs', 'gersp',
                       'gersp_resnet18_1xb16-demo.py')


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {value}')
    return value


def new_run_dir(work_dir: str) -> str:
    """A folder of ``work_dir`` no earlier run used (time-stamped)."""
    stamp = time.strftime('%Y%m%d_%H%M%S')
    for n in range(1000):
        path = osp.join(work_dir, f'run_{stamp}' + (f'_{n}' if n else ''))
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f'no free run folder in {work_dir}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rs-root', help='folder of RS images (any depth)')
    parser.add_argument('--natural-root', help='class-folder tree')
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='each run goes to a new run_<time> sub-folder')
    parser.add_argument('--max-iters', type=positive_int, default=100)
    parser.add_argument('--config', default=DEMO_CONFIG)
    args = parser.parse_args()

    from mmengine.config import Config
    from mmengine.runner import Runner

    import mmgersp  # noqa: F401
    from mmgersp.apis.recipe import set_max_iters
    from demo_data import make_demo_data  # tools/demo_data.py
    from mmgersp.utils import set_data_roots
    from mmgersp.apis.export import export_backbone
    from mmgersp.utils.checkpoint import scope_checkpoint_loads

    rs_root, natural_root = args.rs_root, args.natural_root
    if rs_root is None or natural_root is None:
        gen_rs, gen_nat = make_demo_data(osp.join(args.work_dir, 'data'))
        print(f'generated demo data in {osp.join(args.work_dir, "data")}')
        rs_root, natural_root = rs_root or gen_rs, natural_root or gen_nat

    cfg = Config.fromfile(args.config)
    set_data_roots(cfg, rs_root, natural_root)
    set_max_iters(cfg, args.max_iters)
    run_dir = new_run_dir(args.work_dir)
    cfg.work_dir = run_dir
    print(f'this run writes to {run_dir}')
    runner = scope_checkpoint_loads(Runner.from_cfg(cfg))
    runner.train()

    ckpt = osp.join(run_dir, f'iter_{args.max_iters}.pth')
    out = export_backbone(
        ckpt, osp.join(run_dir, 'gersp_backbone.pth'),
        meta=dict(config=osp.basename(args.config)))
    print(f'training checkpoint: {osp.abspath(ckpt)}')
    print('exported student backbone (load with init_cfg=dict('
          "type='Pretrained', checkpoint=..., prefix='backbone.')):")
    print(osp.abspath(out))


if __name__ == '__main__':
    main()
