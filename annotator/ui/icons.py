"""Icons shipped in ``annotator.resources/icons`` (SVG), read with ``importlib.resources``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

_SIZES = (16, 20, 24, 32, 48, 64, 128)


@cache
def icon(name: str) -> QIcon:
    """The icon ``icons/<name>.svg`` rendered sharp at the usual sizes; empty when missing."""
    source = resources.files("annotator.resources").joinpath("icons", f"{name}.svg")
    if not source.is_file():
        return QIcon()
    renderer = QSvgRenderer(QByteArray(source.read_bytes()))
    result = QIcon()
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


def status_icon(status: str) -> QIcon:
    return icon(f"status-{status}")
