"""mmgersp.utils' lazy table lists exactly its modules' public names."""
import importlib
import inspect
import pkgutil

import mmgersp.utils as utils


def _public(module) -> set:
    """Names a module defines itself (not imports), without a ``_``."""
    return {name for name, value in vars(module).items()
            if not name.startswith('_') and not inspect.ismodule(value)
            and getattr(value, '__module__', module.__name__) ==
            module.__name__}


def test_lazy_table_is_each_modules_public_api():
    for name, names in utils._MODULES.items():
        module = importlib.import_module(f'mmgersp.utils.{name}')
        assert set(names) == _public(module), name
        for attr in names:
            assert getattr(utils, attr) is getattr(module, attr)
    assert sorted(utils._MODULES) == sorted(
        m.name for m in pkgutil.iter_modules(utils.__path__))
