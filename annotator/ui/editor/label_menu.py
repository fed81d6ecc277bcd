"""The small popup that offers labels (a relation's allowed labels, or the entity labels)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QMenu, QWidget

from annotator.model import EntityLabel, RelationLabel


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


def open_label_menu(
    parent: QWidget,
    title: str,
    labels: Sequence[EntityLabel | RelationLabel],
    on_chosen: Callable[[str], None],
    at: QPoint,
) -> QMenu:
    """Show the popup without blocking; a label's key (underlined) or Enter picks it."""
    menu = QMenu(parent)
    menu.setObjectName("editor.label_menu")
    menu.setTitle(title)
    menu.setToolTipsVisible(True)
    header = menu.addAction(title)
    header.setEnabled(False)
    first = None
    for label in labels:
        name = label.name.replace("&", "&&")
        text = f"&{label.key}  {name}" if label.key and label.key != "&" else name
        action = menu.addAction(_swatch(label.color), text)
        action.setData(label.name)
        action.triggered.connect(lambda _checked=False, chosen=label.name: on_chosen(chosen))
        first = first or action
    menu.aboutToHide.connect(menu.deleteLater)
    if first is not None:
        menu.setActiveAction(first)
    menu.popup(at)
    return menu
