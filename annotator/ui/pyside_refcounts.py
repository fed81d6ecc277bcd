"""Work around a reference-count bug of PySide6 6.12 on Python 3.11.

There, every call of a Qt method that returns nothing gives back ``None`` without taking a
reference to it, and emitting a signal does the same with ``True``. Each call thus lowers the
count of a singleton; after a few thousand paint calls it reaches zero and the interpreter
aborts ("Fatal Python error: none_dealloc"). From Python 3.12 on these objects are immortal
(PEP 683) and the bug is harmless, so this does the same for 3.11: it gives ``None``,
``True`` and ``False`` a reference count far beyond reach. Pure ctypes, no Qt import.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 60  # decades of paint calls; far below the signed 64-bit limit


def keep_singletons_alive() -> None:
    """Idempotent; does nothing where the objects are immortal already or the layout differs."""
    if sys.implementation.name != "cpython":
        return
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount"):
        return  # immortal singletons, or a debug build whose object header is different
    if ctypes.sizeof(ctypes.c_ssize_t) != 8:
        return
    for singleton in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt opens PyObject
        if count.value < _RESERVE:
            count.value += _RESERVE
