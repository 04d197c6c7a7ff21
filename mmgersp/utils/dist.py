"""Let mmengine's pytorch launcher run on machines without a GPU."""
import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> None:
    """Start gloo and CPU-style DDP when ``--launcher pytorch`` has no GPU.

    mmengine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and
    wraps the model with ``device_ids=[LOCAL_RANK]``; both fail on CPU. Here
    the process group is started with gloo (mmengine then skips its own
    init) and DDP gets ``device_ids=None``, as CPU modules need. A no-op with
    a GPU or without the pytorch launcher.
    """
    if cfg.get('launcher') != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
