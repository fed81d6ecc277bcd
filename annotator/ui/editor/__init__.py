"""The document view and its editing interactions."""

from annotator.ui.editor.document_view import DocumentView

__all__ = ["DocumentView"]
