"""Lazy layout of a document: blocks are shaped with ``QTextLayout`` only when they are shown.

Each text line gets a box: room above for relation arcs, the text itself, then one row per
stacked span level (underline bar and label tag). Blocks not yet laid out have an estimated
height, replaced by the measured one once shaped. Plain text goes into ``QTextLayout`` as it
is, so ``<b>`` or ``&amp;`` are shown as those characters.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontMetricsF, QTextLayout, QTextLine, QTextOption

from annotator.ui.editor.annotation_index import AnnotationIndex
from annotator.ui.editor.blocks import Utf16Map, split_blocks

ARC_HEIGHT = 26.0  # room above a line where a relation arc starts or ends
LINE_GAP = 6.0  # room above a line without arcs
ROW_PADDING = 4.0  # below the stacked rows (or the text when a line has no spans)
PARAGRAPH_GAP = 8.0
MARGIN = 14.0
MAX_LAID_OUT = 400
# Right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko...) and the explicit RTL marks:
# a block holding none of them is laid out left to right, and one x range per line piece holds.
_RIGHT_TO_LEFT = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200f\u202b\u202e\u2067"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


@dataclass(frozen=True, slots=True)
class LineBox:
    """One text line, in content coordinates (y grows down from the document's top)."""

    block: int
    index: int
    top: float
    text_top: float
    text_height: float
    rows: int
    start: int  # code points, end exclusive
    end: int

    @property
    def rows_top(self) -> float:
        return self.text_top + self.text_height


class _Block:
    __slots__ = (
        "end",
        "ends_paragraph",
        "height",
        "layout",
        "line_arcs",
        "line_rows",
        "line_tops",
        "start",
    )

    def __init__(self, start: int, end: int, ends_paragraph: bool) -> None:
        self.start = start
        self.end = end
        self.ends_paragraph = ends_paragraph
        self.layout: QTextLayout | None = None
        self.height = 0.0
        self.line_tops: list[float] = []
        self.line_rows: list[int] = []
        self.line_arcs: list[float] = []


class DocumentLayout:
    def __init__(self, text: str, font: QFont, tag_font: QFont) -> None:
        self.text = text
        self.font = font
        metrics = QFontMetricsF(font)
        self.line_height = metrics.lineSpacing()
        self.char_width = max(1.0, metrics.averageCharWidth())
        self.row_height = math.ceil(QFontMetricsF(tag_font).height()) + 8.0
        self.blocks = [_Block(b.start, b.end, b.ends_paragraph) for b in split_blocks(text)]
        self._starts = [block.start for block in self.blocks]
        self._utf16: dict[int, Utf16Map] = {}
        self._bidi: dict[int, bool] = {}  # block -> holds right-to-left text
        self._laid_out: OrderedDict[int, None] = OrderedDict()
        self._tops: list[float] | None = None
        self._lines: dict[int, tuple[float, list[LineBox]]] = {}  # block -> (its top, lines)
        self.width = 0.0
        self.set_width(600.0)

    # -- geometry of blocks ---------------------------------------------------------------------

    def set_width(self, width: float) -> bool:
        """Re-wrap for a new text width; layouts are dropped and made again when shown."""
        width = max(40.0, width)
        if abs(width - self.width) < 0.5:
            return False
        self.width = width
        for index in list(self._laid_out):
            self.blocks[index].layout = None
        self._laid_out.clear()
        self._lines.clear()
        for block in self.blocks:
            block.height = self._estimate(block)
        self._tops = None
        return True

    def _estimate(self, block: _Block) -> float:
        per_line = max(1, int(self.width / self.char_width))
        lines = max(1, math.ceil((block.end - block.start) / per_line))
        gap = PARAGRAPH_GAP if block.ends_paragraph else 0.0
        return lines * (LINE_GAP + self.line_height + ROW_PADDING + self.row_height / 2.0) + gap

    def tops(self) -> list[float]:
        """Top of each block, and the total height as the last item."""
        if self._tops is None:
            tops = [0.0]
            y = 0.0
            for block in self.blocks:
                y += block.height
                tops.append(y)
            self._tops = tops
        return self._tops

    def total_height(self) -> float:
        return self.tops()[-1]

    def block_at_y(self, y: float) -> int:
        return min(len(self.blocks) - 1, max(0, bisect_right(self.tops(), y) - 1))

    def block_of_offset(self, offset: int) -> int:
        return min(len(self.blocks) - 1, max(0, bisect_right(self._starts, offset) - 1))

    def is_laid_out(self, index: int) -> bool:
        return self.blocks[index].layout is not None

    # -- laying out ------------------------------------------------------------------------------

    def ensure(self, index: int, annotations: AnnotationIndex) -> float:
        """Shape block ``index`` if needed; returns how much its height changed."""
        block = self.blocks[index]
        if block.layout is not None:
            self._laid_out.move_to_end(index)
            return 0.0
        text = self.text[block.start : block.end]
        layout = QTextLayout(text, self.font)
        layout.setCacheEnabled(True)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.beginLayout()
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(self.width)
        layout.endLayout()
        block.layout = layout
        self._laid_out[index] = None
        if len(self._laid_out) > MAX_LAID_OUT:
            oldest, _ = self._laid_out.popitem(last=False)
            self.blocks[oldest].layout = None  # keeps its measured height as the estimate
            self._lines.pop(oldest, None)
        return self._position_lines(index, annotations)

    def reposition(
        self, annotations: AnnotationIndex, ranges: list[tuple[int, int]] | None = None
    ) -> None:
        """Annotations changed: stacked rows per line may differ (no reshaping needed). With
        ``ranges`` (character ranges), only the laid-out blocks they touch are looked at."""
        if ranges is None:
            touched: Iterable[int] = list(self._laid_out)
        else:
            touched = {
                index
                for start, end in ranges
                for index in range(self.block_of_offset(start), self.block_of_offset(end) + 1)
                if index in self._laid_out
            }
        for index in touched:
            self._position_lines(index, annotations)

    def _position_lines(self, index: int, annotations: AnnotationIndex) -> float:
        block = self.blocks[index]
        layout = block.layout
        assert layout is not None
        utf16 = self.utf16(index)
        y = 0.0
        tops: list[float] = []
        rows: list[int] = []
        arcs: list[float] = []
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            start = block.start + utf16.from_utf16(line.textStart())
            end = block.start + utf16.from_utf16(line.textStart() + line.textLength())
            line_rows = annotations.rows_between(start, max(end, start + 1))
            arc = ARC_HEIGHT if annotations.has_arc_anchor(start, max(end, start + 1)) else LINE_GAP
            tops.append(y)
            rows.append(line_rows)
            arcs.append(arc)
            line.setPosition(QPointF(0.0, y + arc))
            y += arc + line.height() + line_rows * self.row_height + ROW_PADDING
        if block.ends_paragraph:
            y += PARAGRAPH_GAP
        block.line_tops, block.line_rows, block.line_arcs = tops, rows, arcs
        self._lines.pop(index, None)
        change = y - block.height
        if abs(change) > 0.01:
            block.height = y
            self._tops = None
        return change

    def utf16(self, index: int) -> Utf16Map:
        found = self._utf16.get(index)
        if found is None:
            block = self.blocks[index]
            found = self._utf16[index] = Utf16Map(self.text[block.start : block.end])
        return found

    # -- lines -----------------------------------------------------------------------------------

    def lines(self, index: int) -> list[LineBox]:
        """The line boxes of a laid-out block."""
        block = self.blocks[index]
        layout = block.layout
        if layout is None:
            return []
        top = self.tops()[index]
        cached = self._lines.get(index)
        if cached is not None and cached[0] == top:
            return cached[1]
        utf16 = self.utf16(index)
        boxes = []
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            line_top = top + block.line_tops[number]
            boxes.append(
                LineBox(
                    block=index,
                    index=number,
                    top=line_top,
                    text_top=line_top + block.line_arcs[number],
                    text_height=line.height(),
                    rows=block.line_rows[number],
                    start=block.start + utf16.from_utf16(line.textStart()),
                    end=block.start + utf16.from_utf16(line.textStart() + line.textLength()),
                )
            )
        self._lines[index] = (top, boxes)
        return boxes

    def text_line(self, box: LineBox) -> QTextLine:
        layout = self.blocks[box.block].layout
        assert layout is not None
        return layout.lineAt(box.index)

    def line_for_offset(self, offset: int, annotations: AnnotationIndex) -> LineBox:
        index = self.block_of_offset(offset)
        self.ensure(index, annotations)
        boxes = self.lines(index)
        for box in boxes:
            if offset < box.end:
                return box
        return boxes[-1]

    def x_of(self, box: LineBox, offset: int) -> float:
        """Horizontal position (content coordinates) of the edge before ``offset``."""
        block = self.blocks[box.block]
        local = self.utf16(box.block).to_utf16(min(max(offset, box.start), box.end) - block.start)
        x, _ = self.text_line(box).cursorToX(local)
        return MARGIN + x

    def x_range(self, box: LineBox, start: int, end: int) -> tuple[float, float]:
        """From the leftmost to the rightmost edge of ``[start, end)`` on this line."""
        pieces = self.x_ranges(box, start, end)
        return pieces[0][0], pieces[-1][1]

    def x_ranges(self, box: LineBox, start: int, end: int) -> list[tuple[float, float]]:
        """Where ``[start, end)`` is drawn on this line, left to right.

        One piece in left-to-right text. Where directions mix, a logical range can be drawn in
        several places (the end of a Hebrew phrase sits at its left), so the pieces come from
        Qt's own bidi layout: the glyph runs of the range.
        """
        start, end = max(start, box.start), min(end, box.end)
        if end > start and self._holds_right_to_left(box.block):
            block = self.blocks[box.block]
            utf16 = self.utf16(box.block)
            first = utf16.to_utf16(start - block.start)
            runs = self.text_line(box).glyphRuns(first, utf16.to_utf16(end - block.start) - first)
            pieces: list[tuple[float, float]] = []
            for left, right in sorted(
                (run.boundingRect().left(), run.boundingRect().right()) for run in runs
            ):
                if pieces and left <= pieces[-1][1] + 0.5:
                    pieces[-1] = (pieces[-1][0], max(pieces[-1][1], right))
                else:
                    pieces.append((left, right))
            if pieces:
                return [(MARGIN + left, MARGIN + right) for left, right in pieces]
        a, b = self.x_of(box, start), self.x_of(box, end)
        return [(a, b) if a <= b else (b, a)]

    def _holds_right_to_left(self, index: int) -> bool:
        found = self._bidi.get(index)
        if found is None:
            block = self.blocks[index]
            found = self._bidi[index] = bool(
                _RIGHT_TO_LEFT.search(self.text, block.start, block.end)
            )
        return found

    def offset_at_x(self, box: LineBox, x: float) -> int:
        """The character under ``x``."""
        line = self.text_line(box)
        local = line.xToCursor(x - MARGIN, QTextLine.CursorPosition.CursorOnCharacter)
        block = self.blocks[box.block]
        offset = block.start + self.utf16(box.block).from_utf16(local)
        return min(max(offset, box.start), max(box.start, box.end - 1))

    def line_at_y(self, y: float, annotations: AnnotationIndex) -> LineBox | None:
        index = self.block_at_y(y)
        self.ensure(index, annotations)
        boxes = self.lines(index)
        found = None
        for box in boxes:
            if box.top <= y:
                found = box
        return found or (boxes[0] if boxes else None)
