"""The typer application object and output helpers shared by every command module."""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from annotator.errors import AnnotatorError, Cancelled

app = typer.Typer(
    name="annotator",
    help=(
        "Correct suggested entities and relations, and export spaCy training data. "
        "'annotator PROJECT' opens the window on a project; 'annotator' alone, on the last "
        "one (or the welcome screen)."
    ),
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help and usage errors: rich's help renderer loads a markdown parser and costs a
    # third of ``annotator --help``
    rich_markup_mode=None,
)
PIPED_WIDTH = 120
"""Columns of output that goes to a file or a pipe (rich would take 80 and cut the tables' cells,
origins and paths), unless ``COLUMNS`` says otherwise; a terminal gives its own width."""


def _width(stream: Any) -> int | None:
    if "COLUMNS" in os.environ or (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return PIPED_WIDTH


console = Console(width=_width(sys.stdout))
error_console = Console(stderr=True, width=_width(sys.stderr))

F = TypeVar("F", bound=Callable[..., Any])


def console_error(message: str) -> None:
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def reports_errors(function: F) -> F:
    """Turn ``AnnotatorError`` into one line on stderr and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Cancelled as error:
            console_error(str(error) or "cancelled")
            sys.exit(130)
        except AnnotatorError as error:
            console_error(str(error))
            sys.exit(1)
        except sqlite3.DatabaseError as error:  # e.g. a damaged page, read after opening
            project = kwargs.get("project")  # the commands' PROJECT argument
            where = f"{project}: " if project is not None else ""
            console_error(f"{where}the project file cannot be used: {error}")
            sys.exit(1)
        except KeyboardInterrupt:
            console_error("interrupted; everything committed before stays in the project")
            sys.exit(130)
        except OSError as error:  # e.g. a path inside a folder this user may not enter
            where = f"{error.filename}: " if error.filename else ""
            console_error(f"{where}{error.strerror or error}")
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
