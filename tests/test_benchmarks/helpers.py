"""Load the project's tools (scripts under tools/, not a package) by path."""
import importlib.util
import os.path as osp
import sys
from types import ModuleType

from tests.conftest import REPO


def load_tool(relpath: str) -> ModuleType:
    """``tools/<relpath>`` imported as a module (cached in sys.modules), so
    tests call its ``main(argv)`` exactly as the shell would."""
    name = 'mmgersp_tool_' + relpath.replace('/', '_').replace('.py', '')
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(REPO, 'tools', relpath))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
