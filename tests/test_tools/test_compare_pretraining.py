"""compare_pretraining.py end to end, tiny: 2 variants, 1 seed, 3 iterations.

AID is split per class into a pre-training half (labels dropped) and a
held-out half; CIFAR-10 is the natural stream. Checks the split, the cells,
the table and the PNG, resuming without retraining, and that a work dir made
with other settings is refused.
"""
import json
import os
import os.path as osp

import pytest

from tests.test_benchmarks.helpers import load_tool

TOOL = 'analysis_tools/compare_pretraining.py'


def test_auto_queue_len():
    tool = load_tool(TOOL)
    # half of 300 RS images, in whole steps of 8 keys
    assert tool.auto_queue_len(300, 8) == 144
    assert tool.auto_queue_len(300, 32) == 128
    assert tool.auto_queue_len(10, 32) == 32  # at least one step


def test_compare_two_variants_one_seed(aid_root, cifar_train_root, tmp_path,
                                       capsys):
    import matplotlib.image as mpimg
    tool = load_tool(TOOL)
    work = str(tmp_path / 'cmp')
    argv = ['--rs-split', '0.5', '--eval-root', aid_root, '--natural-root',
            cifar_train_root, '--work-dir', work, '--variants', 'gersp',
            'moco-in-maid', '--seeds', '0', '--iters', '3', '--img-size',
            '32', '--n-rs', '4', '--n-nat', '4', '--workers', '0']
    rows = tool.main(argv)
    out = capsys.readouterr().out

    # the AID split: 10 + 10 images of each of the 30 classes, disjoint
    parts = {}
    for part in ('rs', 'held_out'):
        root = osp.join(work, 'data', part)
        parts[part] = {osp.relpath(osp.join(d, f), root)
                       for d, _, fs in os.walk(root) for f in fs}
        assert len(parts[part]) == 300
        assert len(os.listdir(root)) == 30
    assert not parts['rs'] & parts['held_out']
    settings = json.load(open(osp.join(work, 'settings.json')))
    assert settings['queue_len'] == 144  # auto: 300 / 2 in steps of 8
    assert '150 memory / 150 test images' in out

    assert [r['variant'] for r in rows] == ['gersp', 'moco-in-maid']
    for variant in ('gersp', 'moco-in-maid'):
        cell = json.load(open(osp.join(work, 'cells',
                                       f'{variant}_seed0.json')))
        assert 0 <= cell['knn_top1'] <= 100
        assert 0 <= cell['linear_top1'] <= 100
        assert len(cell['curves']['loss_contrast']) == 3
        assert osp.isfile(cell['backbone'])
        assert not osp.exists(osp.join(work, 'cells', f'{variant}_seed0',
                                       'iter_3.pth'))
    gersp = json.load(open(osp.join(work, 'cells', 'gersp_seed0.json')))
    assert len(gersp['curves']['loss_cls']) == 3

    table = open(osp.join(work, 'table.md')).read()
    for row in rows:
        line = (f'| {row["label"]} | 1 | {row["knn_top1"]["mean"]:.2f} +- '
                '0.00 | ' f'{row["linear_top1"]["mean"]:.2f} +- 0.00 |')
        assert line in table and line in out
    img = mpimg.imread(osp.join(work, 'comparison.png'))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img[..., :3].std() > 0  # not a blank canvas

    # resume: nothing is trained again, the same table comes out
    again = tool.main(argv)
    out = capsys.readouterr().out
    assert out.count('done before') == 2 and 'pre-training 3' not in out
    assert again == json.loads(json.dumps(rows))

    # other settings in the same work dir are refused, naming what changed
    with pytest.raises(SystemExit, match='iters'):
        tool.main(argv + ['--iters', '4'])
