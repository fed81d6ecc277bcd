"""sqlite-utils, imported without numpy or pandas.

sqlite-utils imports numpy and pandas when they are installed (spaCy installs numpy) only to map
their scalars to column types; the store never writes any. Loading numpy doubles the start-up of
a command like ``annotator stats``, and pandas (0.7 s) would load whenever numpy is loaded
already (``annotator agreement`` counts with numpy), so both are hidden from this one import
(unless loaded already) and are importable as usual afterwards. Store modules import
sqlite-utils from here.
"""

from __future__ import annotations

import sys

_hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
for _name in _hidden:
    sys.modules[_name] = None  # type: ignore[assignment]  # ``import numpy`` fails meanwhile
try:
    from sqlite_utils import Database, Migrations
finally:
    for _name in _hidden:
        del sys.modules[_name]

__all__ = ["Database", "Migrations"]
