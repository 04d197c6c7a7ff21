from .config import count_class_folders, set_data_roots, set_max_iters
from .dist import setup_cpu_distributed
from .inflate import inflate_first_conv
from .synthetic import make_demo_data
from .checkpoint import (allow_mmengine_checkpoint_types, export_backbone,
                         extract_backbone, load_checkpoint_safely)

__all__ = [
    'allow_mmengine_checkpoint_types', 'export_backbone', 'extract_backbone',
    'load_checkpoint_safely', 'count_class_folders', 'set_data_roots',
    'set_max_iters', 'make_demo_data', 'inflate_first_conv',
    'setup_cpu_distributed'
]
