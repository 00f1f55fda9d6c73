"""dedupe: turn a scraped text corpus into a clean, canonical, deduplicated one."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
