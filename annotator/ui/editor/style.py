"""Colours and fonts of the document view, taken from the label schema."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetricsF

from annotator.model import LabelSchema

FALLBACK_COLOUR = "#a0a0a0"
MISALIGNED_COLOUR = QColor("#d00000")
CANDIDATE_COLOUR = QColor("#ff8c00")


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (tags, palette, inspector)."""
    colour = QColor(background)
    luminance = 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()
    return "#111111" if luminance > 150 else "#ffffff"


class ViewStyle:
    """Label colours, fonts and their metrics; rebuilt when the schema changes."""

    def __init__(self, schema: LabelSchema, base_font: QFont) -> None:
        self.text_font = QFont(base_font)
        self.text_font.setPointSizeF(max(base_font.pointSizeF(), 11.0))
        self.tag_font = QFont(base_font)
        self.tag_font.setPointSizeF(max(7.0, self.text_font.pointSizeF() * 0.72))
        self.tag_font.setBold(True)
        self.tag_metrics = QFontMetricsF(self.tag_font)
        self.colours: dict[str, QColor] = {}
        for label in (*schema.entities, *schema.relations):
            self.colours[label.name] = QColor(label.color)

    def colour(self, label: str) -> QColor:
        return self.colours.get(label) or QColor(FALLBACK_COLOUR)

    def fill(self, label: str, suggested: bool) -> QColor:
        colour = QColor(self.colour(label))
        colour.setAlpha(38 if suggested else 80)
        return colour

    def tag_width(self, text: str) -> float:
        return self.tag_metrics.horizontalAdvance(text) + 8.0
