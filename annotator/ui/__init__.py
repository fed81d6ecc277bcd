"""The window: the only package importing PySide6."""

from annotator.ui.pyside_refcounts import keep_singletons_alive

keep_singletons_alive()
