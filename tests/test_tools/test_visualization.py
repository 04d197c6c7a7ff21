"""vis_cam.py, vis_tsne.py and plot_curves.py on real checkpoints and logs."""
import glob
import json
import os.path as osp

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch

from mmgersp.evaluation import load_backbone
from tests.conftest import load_tool, tiny_gersp_cfg


def tool(name):
    return load_tool(f'visualization/{name}.py')


def read_png(path):
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert img[..., :3].std() > 0.05  # not a blank canvas
    return img


def test_vis_cam_gersp_beside_random_and_a_classifier(aid_root,
                                                      gersp_r50_backbone,
                                                      tmp_path, capsys):
    # a fine-tuned mmpretrain classifier (backbone + head.fc for AID's 30
    # classes) is explained with its own head, not a probe
    net, _ = load_backbone('random', depth=18, seed=1)
    state = {f'backbone.{k}': v for k, v in net.state_dict().items()}
    state.update({'head.fc.weight': torch.randn(30, 512) * 0.01,
                  'head.fc.bias': torch.zeros(30)})
    clf = str(tmp_path / 'classifier.pth')
    torch.save(dict(state_dict=state), clf)

    out = str(tmp_path / 'cam.png')
    tool('vis_cam').main([
        gersp_r50_backbone, 'random', clf, '--labels', 'GeRSP',
        'random init', 'classifier', '--data', aid_root, '--img-size', '96',
        '--max-per-class', '4', '--num-images', '4', '--out', out])
    printed = capsys.readouterr().out
    assert 'GeRSP: ' in printed and '(probe on 60 images)' in printed
    assert 'classifier: ' in printed and '(own head)' in printed
    img = read_png(out)
    # 4 rows x (input + 3 CAM columns): wider than a 2-column figure
    assert img.shape[1] > 700 and img.shape[0] > 700


def test_vis_tsne_two_backbones(aid_root, gersp_r50_backbone, tmp_path,
                                capsys):
    out = str(tmp_path / 'tsne.png')
    tool('vis_tsne').main([
        gersp_r50_backbone, 'random', '--labels', 'GeRSP', 'random init',
        '--data', aid_root, '--img-size', '48', '--max-per-class', '6',
        '--iters', '300', '--out', out])
    printed = capsys.readouterr().out
    lines = [l for l in printed.splitlines() if '180 points' in l]
    assert len(lines) == 2  # 30 classes x 6 images, one line per panel
    for line in lines:
        kl = float(line.split('KL ')[1].split(',')[0])
        assert 0 < kl < 10
    img = read_png(out)
    assert img.shape[1] > img.shape[0]  # two panels side by side


@pytest.fixture(scope='module')
def run_with_feature_eval(aid_root, cifar_train_root, tmp_path_factory):
    """A 3-iteration GeRSP run logging kNN/linear top-1 after every step."""
    from mmengine.runner import Runner
    from mmgersp.engine.hooks.feature_eval_hook import FeatureEvalHook  # noqa
    work = str(tmp_path_factory.mktemp('curves'))
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, work, max_iters=3)
    cfg.custom_hooks.append(
        dict(type='FeatureEvalHook', data_root=aid_root, by_epoch=False,
             interval=1, img_size=32, max_per_class=2))
    Runner.from_cfg(cfg).train()
    return work


def test_plot_curves_of_a_gersp_run(run_with_feature_eval, tmp_path,
                                    capsys):
    out = str(tmp_path / 'curves.png')
    tool('plot_curves').main([run_with_feature_eval, '--out', out])
    printed = capsys.readouterr().out
    counts = json.loads(
        printed.split('points per key ')[1].splitlines()[0].replace("'", '"'))
    for key in ('loss_contrast', 'loss_cls', 'acc_cls', 'acc_contrast',
                'momentum', 'lr', 'knn_top1', 'linear_top1'):
        assert counts[key] == 3, key
    img = read_png(out)
    assert img.shape[0] > 800  # 9 panels in 3 rows

    with pytest.raises(SystemExit, match='none of'):
        tool('plot_curves').main([run_with_feature_eval, '--keys', 'nope',
                                  '--out', out])


def test_load_scalars_joins_resumed_launches(run_with_feature_eval,
                                             tmp_path):
    plot_curves = tool('plot_curves')
    files = plot_curves.scalar_files(run_with_feature_eval)
    assert len(files) == 1
    first = plot_curves.load_scalars(files)
    # a resumed launch re-logs iteration 3 and goes on to 4
    later = tmp_path / 'later.json'
    later.write_text(json.dumps({'loss': 1.0, 'iter': 3, 'step': 3}) + '\n' +
                     json.dumps({'loss': 0.5, 'iter': 4, 'step': 4}) + '\n')
    joined = plot_curves.load_scalars(files + [str(later)])
    assert joined['loss']['step'] == [1, 2, 3, 4]
    assert joined['loss']['value'][:2] == first['loss']['value'][:2]
    assert joined['loss']['value'][2:] == [1.0, 0.5]
    assert np.allclose(plot_curves.smooth([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert glob.glob(osp.join(run_with_feature_eval, '*', 'vis_data'))
