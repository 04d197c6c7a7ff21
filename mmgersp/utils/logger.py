"""Quieting mmengine's current logger for a block: the project's one way."""
import contextlib
from typing import Iterator, Union

from mmengine.logging import MMLogger


@contextlib.contextmanager
def quiet_logger(level: Union[int, str] = 'WARNING') -> Iterator[MMLogger]:
    """Raise mmengine's current logger to ``level`` inside the block.

    Building a model logs one INFO line per initialised tensor
    (``init_weights``); tools keep the warnings (they name unloaded keys)
    and drop that. The previous level comes back on exit.
    """
    logger = MMLogger.get_current_instance()
    previous = logger.level
    logger.setLevel(level)
    try:
        yield logger
    finally:
        logger.setLevel(previous)
