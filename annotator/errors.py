"""Every error the user can meet, in one place.

Each carries a one-line message that names the file and place when there is one, so the CLI
and the GUI can show it as it is, never as a traceback.
"""

from __future__ import annotations

from pathlib import Path


class AnnotatorError(Exception):
    """Base class: a problem the user can act on; its ``str`` is the one-line message."""


class ValidationError(AnnotatorError):
    """A value object or edit breaks a rule of the data model or the label schema."""


class ProjectError(AnnotatorError):
    """The project file cannot be used."""


class NotAProjectError(ProjectError):
    """The file exists but is not an annotator project, or it is damaged."""


class ProjectLockedError(ProjectError):
    """Another process has the project open for writing."""


class ProjectNotWritableError(ProjectError):
    """The user may not write the project file or its folder: it can be opened read-only."""


class ProjectReadOnlyError(ProjectError):
    """A write was attempted on a project opened read-only."""


class ProjectReadError(ProjectError):
    """A page of the project file failed to read after it was opened (a file too big to be
    checked page by page on opening, with a damaged page)."""


class StoredValueError(ProjectError):
    """A stored value no reader can use: a span outside its text, offsets that are not
    integers (a crafted or damaged project file). Its message names the document and span."""


class TokensMissingError(ProjectError):
    """A document's tokens were read before they were made (``services.tokenizing``)."""


class NotFoundError(AnnotatorError):
    """A document, span or relation id that the project does not hold."""


class FormatError(AnnotatorError):
    """A record in an input file is malformed; names the file and the line (or document)."""

    def __init__(self, path: str | Path, where: str | int | None, reason: str) -> None:
        self.path = str(path)
        self.where = where
        self.reason = reason
        place = self.path
        if isinstance(where, int):
            place = f"{self.path}:{where}"
        elif where:
            place = f"{self.path} ({where})"
        super().__init__(f"{place}: {reason}")

    def __reduce__(self) -> tuple[type[FormatError], tuple[str, str | int | None, str]]:
        return (type(self), (self.path, self.where, self.reason))  # from the reading process


class ModelNotFoundError(AnnotatorError):
    """A spaCy pipeline that is not installed."""


class ExportError(AnnotatorError):
    """An export cannot be written as asked."""


class Cancelled(AnnotatorError):
    """Long work stopped at the user's request; what was committed before stays."""
