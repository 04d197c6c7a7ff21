"""What ``import mmgersp`` changes in a process: registered modules, nothing
else (no allow-list, no evaluation library, no tool helpers)."""
import json
import subprocess
import sys

# The training plugin, module by module. A new module here is a decision:
# add it only if every training run needs it.
PLUGIN_MODULES = {
    'mmgersp', 'mmgersp.version',
    'mmgersp.datasets', 'mmgersp.datasets.class_folders',
    'mmgersp.datasets.dual_stream', 'mmgersp.datasets.rs_image_folder',
    'mmgersp.datasets.samplers', 'mmgersp.datasets.samplers.dual_stream_sampler',
    'mmgersp.datasets.transforms', 'mmgersp.datasets.transforms.colour',
    'mmgersp.datasets.transforms.loading',
    'mmgersp.datasets.transforms.multiband',
    'mmgersp.engine', 'mmgersp.engine.hooks',
    'mmgersp.engine.hooks.checkpoint_hook', 'mmgersp.engine.hooks.ema_hook',
    'mmgersp.engine.hooks.exact_resume_hook',
    'mmgersp.engine.hooks.interval_runtime_info_hook',
    'mmgersp.engine.hooks.non_finite_loss_hook',
    'mmgersp.models', 'mmgersp.models.algorithms',
    'mmgersp.models.algorithms.gersp', 'mmgersp.models.data_preprocessors',
    'mmgersp.models.data_preprocessors.batch_augment',
    'mmgersp.models.data_preprocessors.dual_stream_preprocessor',
    'mmgersp.models.utils', 'mmgersp.models.utils.backbone_output',
    'mmgersp.models.utils.shuffle_bn',
    'mmgersp.utils', 'mmgersp.utils.checkpoint',
}

PROBE = r'''
import json, sys
import torch.serialization as ser
import mmpretrain.datasets, mmpretrain.engine, mmpretrain.models  # noqa
from mmpretrain.registry import HOOKS, MODELS
from mmengine.logging.history_buffer import HistoryBuffer
before = set(sys.modules)
allow = [repr(g) for g in ser.get_safe_globals()]
stats = dict(HistoryBuffer._statistics_methods)
hooks, models = set(HOOKS.module_dict), set(MODELS.module_dict)
import mmgersp  # noqa
print(json.dumps(dict(
    modules=sorted(set(sys.modules) - before),
    allow_list_same=[repr(g) for g in ser.get_safe_globals()] == allow,
    stats_same=dict(HistoryBuffer._statistics_methods) == stats,
    new_hooks=sorted(set(HOOKS.module_dict) - hooks),
    new_models=sorted(set(MODELS.module_dict) - models))))
'''


def test_import_registers_the_plugin_and_changes_nothing_else():
    out = subprocess.run([sys.executable, '-c', PROBE], capture_output=True,
                         text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    ours = {m for m in got['modules'] if m.split('.')[0] == 'mmgersp'}
    assert ours == PLUGIN_MODULES
    # beyond mmpretrain's own imports, only what the version check reads
    others = {m.split('.')[0] for m in got['modules']} - {'mmgersp'}
    assert others <= {'email', 'importlib_metadata'}, others
    assert got['allow_list_same'] and got['stats_same']
    assert got['new_hooks'] == [
        'AtomicCheckpointHook', 'ExactResumeHook', 'GeRSPEMAHook',
        'IntervalRuntimeInfoHook', 'NonFiniteLossHook']
    assert got['new_models'] == ['DualStreamDataPreprocessor', 'GeRSP']
