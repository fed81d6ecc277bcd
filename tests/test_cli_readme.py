"""Every command of ``annotator`` is documented on the commands page of the manual."""

from __future__ import annotations

import re

from conftest import ROOT

from annotator.cli import app


def _section(name: str) -> str:
    readme = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- section:{name} -->(.*?)<!-- /section:{name} -->", readme, flags=re.DOTALL
    )
    assert match, f"docs/commands.md has no {name} section"
    return match.group(1)


def test_every_registered_command_is_in_the_readme() -> None:
    commands = sorted(
        command.name or command.callback.__name__ for command in app.registered_commands
    )
    assert "import" in commands
    section = _section("cli")
    missing = [name for name in commands if f"annotator {name}" not in section]
    assert not missing, f"commands missing from docs/commands.md: {missing}"
