"""The ``annotator`` command: thin typer commands over plain functions in ``annotator.services``.

Errors the user can act on (``AnnotatorError``) are printed as one red line and exit with 1;
a traceback is never shown for them.
"""

from __future__ import annotations

import os
import sys

# Each module adds its commands to ``app`` when imported.
from annotator.cli import (
    done_command,  # noqa: F401
    evaluate_command,  # noqa: F401
    export_command,  # noqa: F401
    gui_command,  # noqa: F401
    import_command,  # noqa: F401
    project_commands,  # noqa: F401
    sample_command,  # noqa: F401
    suggest_command,  # noqa: F401
    team_commands,  # noqa: F401
    train_command,  # noqa: F401
)
from annotator.cli.app import app, console_error
from annotator.errors import AnnotatorError


def _commands() -> set[str]:
    return {command.name or command.callback.__name__ for command in app.registered_commands}


def main(argv: list[str] | None = None) -> None:
    """Entry point. ``annotator`` alone or ``annotator PATH`` opens the window (``gui``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # pydantic would look up third-party plugins among every installed package's entry points
    # the first time a model validates (a fifth of ``annotator stats``); the CLI uses none
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if "gui" in _commands() and (
        not args or (args[0] not in _commands() and not args[0].startswith("-"))
    ):
        args = ["gui", *args]
    try:
        app(args=args, prog_name="annotator", standalone_mode=True)
    except AnnotatorError as error:  # pragma: no cover - commands catch their own
        console_error(str(error))
        sys.exit(1)
