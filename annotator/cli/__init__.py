"""The ``annotator`` command: thin typer commands over plain functions in ``annotator.services``.

Errors the user can act on (``AnnotatorError``) are printed as one red line and exit with 1;
a traceback is never shown for them.
"""

from __future__ import annotations

import copy
import difflib
import os
import sys
from collections.abc import Callable
from typing import Any

from typer.main import get_command_name, get_group
from typer.models import CommandInfo

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


def _name(command: CommandInfo) -> str:
    return command.name or get_command_name(command.callback.__name__)


def _commands() -> set[str]:
    return {_name(command) for command in app.registered_commands}


def _runner(args: list[str]) -> Callable[..., Any]:
    """What runs ``args``: a group of the one command ``args[0]`` names, else ``app`` (help,
    a name that is no command). Typer makes the click command of every registered command at
    each run, each one's annotations evaluated (a tenth of ``annotator stats``); a run needs its
    own only, and its usage, help and errors read the same in a group of one."""
    chosen = [command for command in app.registered_commands if args and _name(command) == args[0]]
    if not chosen:
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    return get_group(one)


def _opens_a_project(word: str) -> bool:
    """``annotator WORD`` opens the window on WORD: a path that is there, or one named as a
    project or a path (``p.annotator``, ``data/p``); a bare word is a command mistyped."""
    return os.path.lexists(word) or word.endswith(".annotator") or os.sep in word or "." in word


def _no_such_command(word: str) -> str:
    close = difflib.get_close_matches(word, sorted(_commands()), n=1, cutoff=0.6)
    guess = f"; did you mean {close[0]}?" if close else ""
    return (
        f"{word}: no such command or project file (annotator --help lists the commands; "
        f"annotator gui PROJECT opens a project){guess}"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point. ``annotator`` alone or ``annotator PATH`` opens the window (``gui``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # pydantic would look up third-party plugins among every installed package's entry points
    # the first time a model validates (a fifth of ``annotator stats``); the CLI uses none
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if "gui" in _commands() and (
        not args or (args[0] not in _commands() and not args[0].startswith("-"))
    ):
        if args and not _opens_a_project(args[0]):
            console_error(_no_such_command(args[0]))
            sys.exit(2)
        args = ["gui", *args]
    try:
        _runner(args)(args=args, prog_name="annotator", standalone_mode=True)
    except AnnotatorError as error:  # pragma: no cover - commands catch their own
        console_error(str(error))
        sys.exit(1)
