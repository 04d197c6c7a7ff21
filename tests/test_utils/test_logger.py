"""quiet_logger: the one way the tools silence mmengine's INFO lines."""
import logging

import pytest
from mmengine.logging import MMLogger

from mmgersp.utils.logger import quiet_logger


def test_level_raised_inside_and_restored_even_on_error():
    logger = MMLogger.get_current_instance()
    original = logger.level
    logger.setLevel(logging.INFO)
    try:
        with quiet_logger() as quiet:
            assert quiet is logger
            assert not logger.isEnabledFor(logging.INFO)
            assert logger.isEnabledFor(logging.WARNING)
        assert logger.level == logging.INFO
        with pytest.raises(RuntimeError, match='boom'):
            with quiet_logger('ERROR'):
                assert not logger.isEnabledFor(logging.WARNING)
                raise RuntimeError('boom')
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(original)
