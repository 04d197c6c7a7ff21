"""User-level APIs imported on demand (never by ``import mmgersp``)."""
