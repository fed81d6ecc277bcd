"""sqlite-utils, imported without numpy.

sqlite-utils imports numpy when it is installed (spaCy installs it) only to map numpy scalars to
column types; the store never writes any. Loading numpy doubles the start-up of a command like
``annotator stats``, so it is hidden from this one import (unless it is loaded already) and is
importable as usual afterwards. Store modules import sqlite-utils from here.
"""

from __future__ import annotations

import sys

_hide_numpy = "numpy" not in sys.modules
if _hide_numpy:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # ``import numpy`` fails meanwhile
try:
    from sqlite_utils import Database, Migrations
finally:
    if _hide_numpy:
        del sys.modules["numpy"]

__all__ = ["Database", "Migrations"]
