"""Drawing one screenful: span fills, the text, level bars with label tags, relation arcs.

Suggestions are drawn lighter with dashed outlines; accepted spans are solid; misaligned
spans (not on token boundaries) get a red dotted outline and a "!" in their tag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF

from annotator.ui.editor.geometry import ArcShape, Fragment, ViewGeometry
from annotator.ui.editor.style import CANDIDATE_COLOUR, MISALIGNED_COLOUR, text_colour_on
from annotator.ui.editor.text_layout import MARGIN, LineBox


@dataclass(frozen=True, slots=True)
class PaintState:
    selected: str | None
    text_selection: tuple[int, int] | None
    highlight: QColor
    text: QColor  # the palette's text colour (dark themes too)
    base: QColor  # the palette's background, behind suggestion tags and arc labels
    pick_head: str | None = None
    pick_candidate: str | None = None


def paint_lines(
    painter: QPainter, geometry: ViewGeometry, boxes: list[LineBox], state: PaintState
) -> None:
    layout = geometry.layout
    style = geometry.style
    fragments: list[Fragment] = []
    for box in boxes:
        line_fragments = geometry.fragments(box)
        fragments.extend(line_fragments)
        for fragment in line_fragments:
            suggested = fragment.span.status == "suggested"
            painter.fillRect(fragment.text_rect, style.fill(fragment.span.label, suggested))
        if state.text_selection is not None:
            start, end = state.text_selection
            if start < box.end + 1 and end > box.start:
                colour = QColor(state.highlight)
                colour.setAlpha(110)
                for x1, x2 in layout.x_ranges(box, start, end):
                    painter.fillRect(QRectF(x1, box.text_top, x2 - x1, box.text_height), colour)
        painter.setPen(QPen(state.text))
        layout.text_line(box).draw(painter, QPointF(MARGIN, box.top - _line_y(layout, box)))
    for fragment in fragments:
        _paint_fragment(painter, geometry, fragment, state)


def _line_y(layout, box: LineBox) -> float:
    """``QTextLine.draw`` adds the line's own position; we pass the block origin instead."""
    return layout.text_line(box).position().y() - (box.text_top - box.top)


def _paint_fragment(
    painter: QPainter, geometry: ViewGeometry, fragment: Fragment, state: PaintState
) -> None:
    style = geometry.style
    span = fragment.span
    colour = style.colour(span.label)
    suggested = span.status == "suggested"
    row = fragment.row_rect
    bar = QRectF(row.left(), row.top() + 1.0, row.width(), 2.5)
    if suggested:
        pen = QPen(colour, 2.0, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(
            QPointF(bar.left(), bar.center().y()), QPointF(bar.right(), bar.center().y())
        )
        painter.setPen(QPen(colour, 1.0, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(fragment.text_rect.adjusted(0.5, 0.5, -0.5, -0.5))
    else:
        painter.fillRect(bar, colour)
    if span.id in geometry.index.misaligned:
        painter.setPen(QPen(MISALIGNED_COLOUR, 1.5, Qt.PenStyle.DotLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(fragment.text_rect.adjusted(-1, -1, 1, 1))
    if span.id == state.selected or span.id == state.pick_head:
        painter.setPen(QPen(state.text, 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(fragment.text_rect.adjusted(-1.5, -1.5, 1.5, 1.5))
    if span.id == state.pick_candidate:
        painter.setPen(QPen(CANDIDATE_COLOUR, 2.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(fragment.text_rect.adjusted(-2.5, -2.5, 2.5, 2.5))
    if fragment.first:
        _paint_tag(painter, geometry, fragment, state)


def _paint_tag(
    painter: QPainter, geometry: ViewGeometry, fragment: Fragment, state: PaintState
) -> None:
    style = geometry.style
    span = fragment.span
    rect = geometry.tag_rect(fragment)
    colour = style.colour(span.label)
    misaligned = span.id in geometry.index.misaligned
    if span.status == "suggested":
        painter.setBrush(QBrush(state.base))
        painter.setPen(QPen(colour, 1.0, Qt.PenStyle.DashLine))
        text_colour = colour.darker(140)
    else:
        painter.setBrush(QBrush(colour))
        painter.setPen(QPen(colour.darker(130), 1.0))
        text_colour = QColor(text_colour_on(colour.name()))
    if misaligned:
        painter.setPen(QPen(MISALIGNED_COLOUR, 1.5))
    if span.id == state.selected:
        painter.setPen(QPen(state.text, 2.0))
    painter.drawRoundedRect(rect, 3.0, 3.0)
    painter.setFont(style.tag_font)
    painter.setPen(QPen(text_colour))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, geometry.tag_text(span))


def paint_arcs(
    painter: QPainter, geometry: ViewGeometry, shapes: list[ArcShape], state: PaintState
) -> None:
    style = geometry.style
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for shape in shapes:
        relation = shape.relation
        colour = style.colour(relation.label)
        selected = relation.id == state.selected
        pen = QPen(colour, 2.8 if selected else 1.4)
        if relation.status == "suggested":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(shape.path)
        _paint_arrow(painter, shape, colour, selected)
        painter.setBrush(QBrush(state.base))
        painter.setPen(QPen(colour, 2.0 if selected else 1.0))
        painter.drawRoundedRect(shape.label_rect, 3.0, 3.0)
        painter.setFont(style.tag_font)
        painter.setPen(QPen(colour.darker(130)))
        painter.drawText(shape.label_rect, Qt.AlignmentFlag.AlignCenter, relation.label)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)


def _paint_arrow(painter: QPainter, shape: ArcShape, colour: QColor, selected: bool) -> None:
    size = 8.0 if selected else 6.5
    angle = math.radians(shape.end_angle)
    # Qt angles are counter-clockwise with y up; the arrow points along the direction of travel.
    direction = QPointF(math.cos(angle), -math.sin(angle))
    normal = QPointF(-direction.y(), direction.x())
    tip = shape.end
    base = tip - direction * size
    arrow = QPolygonF([tip, base + normal * (size / 2.0), base - normal * (size / 2.0)])
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    painter.drawPolygon(arrow)


def paint_drag_line(painter: QPainter, start: QPointF, end: QPointF) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(CANDIDATE_COLOUR, 2.0, Qt.PenStyle.DashLine))
    painter.drawLine(start, end)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
