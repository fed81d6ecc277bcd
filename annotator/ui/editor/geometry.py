"""Where spans, tags and relation arcs sit, in content coordinates; shared by painting and
hit testing so that what is clicked is exactly what is drawn."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPainterPathStroker

from annotator.model import Relation, Span
from annotator.model.span import annotators_of
from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.style import ViewStyle
from annotator.ui.editor.text_layout import ARC_HEIGHT, MARGIN, DocumentLayout, LineBox

ARC_HIT_WIDTH = 7.0


@dataclass(frozen=True, slots=True)
class Fragment:
    """The part of a span on one line: its text rectangle and its level row."""

    span: Span
    box: LineBox
    text_rect: QRectF
    row_rect: QRectF
    first: bool  # the span starts on this line: its tag is drawn here


@dataclass(frozen=True, slots=True)
class ArcShape:
    relation: Relation
    path: QPainterPath
    label_rect: QRectF
    end: QPointF
    end_angle: float  # degrees, direction of travel at the child end


class ViewGeometry:
    def __init__(self, layout: DocumentLayout, index: AnnotationIndex, style: ViewStyle) -> None:
        self.layout = layout
        self.index = index
        self.style = style

    def fragments(self, box: LineBox) -> list[Fragment]:
        found = []
        row_height = self.layout.row_height
        for span in self.index.spans_between(box.start, max(box.end, box.start + 1)):
            level = self.index.levels[span.id]
            row_top = box.rows_top + level * row_height
            # mixed directions: a span may be drawn in several pieces; its tag goes on the first
            for number, (x1, x2) in enumerate(self.layout.x_ranges(box, span.start, span.end)):
                if x2 - x1 < 3.0:
                    x2 = x1 + 3.0
                found.append(
                    Fragment(
                        span=span,
                        box=box,
                        text_rect=QRectF(x1, box.text_top, x2 - x1, box.text_height),
                        row_rect=QRectF(x1, row_top, x2 - x1, row_height),
                        first=span.start >= box.start and number == 0,
                    )
                )
        return found

    def tag_text(self, span: Span) -> str:
        """The label; for a pending version of a merged project, also who made it."""
        text = ("! " if span.id in self.index.misaligned else "") + span.label
        who = annotators_of(span.origin) if span.status == "suggested" else ()
        return f"{text} · {'+'.join(who)}" if who else text

    def tag_rect(self, fragment: Fragment) -> QRectF:
        row = fragment.row_rect
        height = self.style.tag_metrics.height() + 3.0
        return QRectF(
            row.left(), row.top() + 4.0, self.style.tag_width(self.tag_text(fragment.span)), height
        )

    def anchor(self, span: Span) -> QPointF | None:
        """Where arcs attach: above the middle of the span's first line; None if not laid out."""
        block = self.layout.block_of_offset(span.start)
        if not self.layout.is_laid_out(block):
            return None
        box = self.layout.line_for_offset(span.start, self.index)
        x1, x2 = self.layout.x_range(box, span.start, min(span.end, box.end))
        return QPointF((x1 + x2) / 2.0, box.text_top)

    def arc(self, relation: Relation, fallback_x: float) -> ArcShape | None:
        head = self.index.span_by_id.get(relation.head)
        child = self.index.span_by_id.get(relation.child)
        if head is None or child is None:
            return None
        start = self.anchor(head) or self._estimated_anchor(head, fallback_x)
        end = self.anchor(child) or self._estimated_anchor(child, fallback_x)
        rise = self.arc_rise(abs(end.x() - start.x()))
        path = QPainterPath(start)
        if abs(start.y() - end.y()) < 1.0:
            peak = start.y() - rise
            path.cubicTo(QPointF(start.x(), peak), QPointF(end.x(), peak), end)
        else:
            path.cubicTo(
                QPointF(start.x(), start.y() - rise),
                QPointF(end.x(), end.y() - rise),
                end,
            )
        middle = path.pointAtPercent(0.5)
        metrics = self.style.tag_metrics
        width = metrics.horizontalAdvance(relation.label) + 8.0
        height = metrics.height() + 3.0
        label_rect = QRectF(middle.x() - width / 2.0, middle.y() - height / 2.0, width, height)
        angle = path.angleAtPercent(0.98)
        return ArcShape(relation, path, label_rect, end, angle)

    @staticmethod
    def arc_rise(distance: float) -> float:
        """Short arcs stay low and long ones rise higher, so nested arcs and their labels on one
        line do not sit on top of each other."""
        return min(ARC_HEIGHT, 12.0 + distance * 0.06)

    def _estimated_anchor(self, span: Span, fallback_x: float) -> QPointF:
        block = self.layout.block_of_offset(span.start)
        return QPointF(fallback_x, self.layout.tops()[block])

    @staticmethod
    def arc_hit(shape: ArcShape, point: QPointF) -> bool:
        if shape.label_rect.contains(point):
            return True
        stroker = QPainterPathStroker()
        stroker.setWidth(ARC_HIT_WIDTH)
        return stroker.createStroke(shape.path).contains(point)


__all__ = ["MARGIN", "ArcShape", "Fragment", "ViewGeometry"]
