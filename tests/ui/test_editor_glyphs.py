"""Every character of a text is drawn with a glyph, emoji included, never as an empty box."""

from __future__ import annotations

import os

import pytest
from editor_support import open_editor
from PySide6.QtGui import QFontDatabase

from annotator.model import Document

TEXT = "Bravo 🎉 à Zoé 😀, 👍🏽 et 🇫🇷 !"


def _has_colour_emoji_font() -> bool:
    return any("emoji" in family.lower() for family in QFontDatabase.families())


def test_emoji_in_a_text_are_drawn_with_real_glyphs(qtbot, project) -> None:
    if not _has_colour_emoji_font() and os.environ.get("CI") != "true":
        pytest.skip("no colour emoji font here (dev.py installs fonts-noto-color-emoji as root)")
    doc_id, _ = project.add_document(Document(text=TEXT))
    editor = open_editor(qtbot, project, doc_id)
    assert editor.view.laid_out_text() == TEXT
    assert editor.view.missing_glyph_fonts() == []
