"""A project the user may not write: one line naming the file and what is missing, and every
command that only reads (stats, export) still works, read-only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from permissions import immutable
from typer.testing import CliRunner

from annotator.cli import app
from annotator.store import Project

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
TEXT = "Brad Smith works for Microsoft."


def one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def make_project(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "a.txt"
    source.write_text(TEXT, encoding="utf-8")
    project = folder / "p.annotator"
    assert runner.invoke(app, ["import", str(project), str(source), "--lang", "en"]).exit_code == 0
    return project, source


def test_an_unwritable_project_file_names_it_and_the_missing_permission(tmp_path: Path) -> None:
    project, _ = make_project(tmp_path / "work")
    other = tmp_path / "b.txt"
    other.write_text("Another text.", encoding="utf-8")
    with immutable(project):
        for command in (["import", str(project), str(other)], ["suggest", str(project)]):
            result = runner.invoke(app, command)
            assert result.exit_code == 1, result.output
            assert one_line(result) == (
                f"error: {project}: you cannot write this project file (Operation not "
                "permitted); it can only be opened read-only (annotator gui --read-only, "
                "annotator export --read-only, annotator stats)"
            )
        stats = runner.invoke(app, ["stats", str(project), "--json"])
        assert stats.exit_code == 0 and '"total": 1' in stats.output
        output = tmp_path / "out.jsonl"
        export = runner.invoke(
            app, ["export", str(project), "-f", "prodigy", "--status", "all", "-o", str(output)]
        )
        assert export.exit_code == 0, export.output
        assert "opened read-only" in export.output
        assert TEXT in output.read_text("utf-8")
    with Project.open(project, read_only=True) as opened:
        assert opened.count_documents() == 1


def test_a_project_in_an_unwritable_folder_says_it_is_the_folder(tmp_path: Path) -> None:
    project, _ = make_project(tmp_path / "work")
    with immutable(project.parent):
        result = runner.invoke(app, ["suggest", str(project)])
        assert result.exit_code == 1
        assert one_line(result).startswith(
            f"error: {project}: you cannot write in its folder {project.parent}, where SQLite "
            "keeps its journal (permission denied)"
        )
        # SQLite cannot make its -shm file there: the file is still read (stats, export)
        stats = runner.invoke(app, ["stats", str(project), "--json"])
        assert stats.exit_code == 0, stats.output
        output = tmp_path / "out.jsonl"
        export = runner.invoke(
            app, ["export", str(project), "-f", "prodigy", "--status", "all", "-o", str(output)]
        )
        assert export.exit_code == 0, export.output


def test_export_read_only_leaves_the_edit_log_alone(tmp_path: Path) -> None:
    project, _ = make_project(tmp_path / "work")
    output = tmp_path / "out.jsonl"
    command = ["export", str(project), "-f", "prodigy", "--status", "all", "-o", str(output)]
    result = runner.invoke(app, [*command, "--read-only"])
    assert result.exit_code == 0, result.output
    with Project.open(project, read_only=True) as opened:
        assert [entry["kind"] for entry in opened.edit_log()] == ["import"]


needs_other_users = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None,
    reason="needs root and runuser to run commands as other users (nobody, daemon)",
)


def as_user(user: str, home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``annotator ARGS`` run as ``user``; the test is skipped when that user cannot run this
    checkout's Python (e.g. a clone inside a 0700 folder, as mktemp -d makes)."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(home)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", user, "--", sys.executable, "-m", "annotator", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    reachable = run("--help")
    if reachable.returncode != 0 and "Permission denied" in reachable.stderr:
        pytest.skip(f"the user {user} cannot run this checkout's Python: {reachable.stderr}")
    return run


@needs_other_users
def test_a_chmod_444_project_as_another_user(shared_folder: Path) -> None:
    """The real case: a user who is not root, a project file without write permission."""
    project, source = make_project(shared_folder)
    project.chmod(0o444)
    as_nobody = as_user("nobody", shared_folder)
    result = as_nobody("import", str(project), str(source))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {project}: you cannot write this project file (Permission denied); it can only "
        "be opened read-only (annotator gui --read-only, annotator export --read-only, "
        "annotator stats)"
    )
    stats = as_nobody("stats", str(project))
    assert stats.returncode == 0, stats.stderr


@needs_other_users
def test_sqlite_files_left_by_another_users_read_only_open_are_named(
    shared_folder: Path,
) -> None:
    """nobody may write in the folder but not the project: its read-only open leaves the -wal
    and -shm files as nobody's. The owner's next write was refused by SQLite ('attempt to
    write a readonly database'), naming neither file nor what to do."""
    project, source = make_project(shared_folder)
    shared_folder.chmod(0o777)
    os.chown(project, *_ids("daemon"))
    project.chmod(0o644)

    nobody, daemon = as_user("nobody", shared_folder), as_user("daemon", shared_folder)
    assert nobody("stats", str(project)).returncode == 0
    shm = Path(f"{project}-shm")
    if not shm.exists():
        pytest.skip("this SQLite left no -shm file after a read-only open")
    before = project.read_bytes()
    result = daemon("import", str(project), str(source))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: {project}: you cannot write its SQLite file p.annotator-wal, which belongs to "
        "user nobody (left by their read-only open); when no one has the project open, delete "
        "p.annotator-wal and p.annotator-shm, which then hold nothing; meanwhile it can only be "
        "opened read-only (annotator gui --read-only, annotator export --read-only, annotator "
        "stats)"
    )
    assert project.read_bytes() == before
    out = shared_folder / "out.jsonl"
    exported = daemon("export", str(project), "-f", "doccano", "--status", "all", "-o", str(out))
    assert exported.returncode == 0, exported.stderr  # read-only, meanwhile
    Path(f"{project}-wal").unlink()
    shm.unlink()
    assert daemon("import", str(project), str(source)).returncode == 0


@needs_other_users
def test_an_unreadable_source_or_project_is_one_line(shared_folder: Path) -> None:
    """Click refused an unreadable SOURCE in three lines of usage with exit 2, and SQLite an
    unreadable project as 'not an annotator project or damaged (unable to open database
    file)'."""
    project, source = make_project(shared_folder)
    shared_folder.chmod(0o777)
    source.chmod(0o000)
    as_nobody = as_user("nobody", shared_folder)
    imported = as_nobody("import", str(shared_folder / "new.annotator"), str(source))
    assert (imported.returncode, imported.stderr.strip()) == (
        1,
        f"error: {source}: cannot read (Permission denied)",
    )
    assert not (shared_folder / "new.annotator").exists()
    project.chmod(0o000)
    stats = as_nobody("stats", str(project))
    assert (stats.returncode, stats.stderr.strip()) == (
        1,
        f"error: {project}: you cannot read this project file (permission denied)",
    )


@needs_other_users
def test_a_path_inside_a_folder_this_user_may_not_enter_is_one_line(shared_folder: Path) -> None:
    """``Path.exists`` raises PermissionError there: stats, import and new ended in a
    traceback."""
    project, source = make_project(shared_folder / "private")
    (shared_folder / "private").chmod(0o700)
    as_nobody = as_user("nobody", shared_folder)
    new = shared_folder / "private" / "n.annotator"
    for args, named in (
        (("stats", str(project)), project),
        (("import", str(shared_folder / "q.annotator"), str(source)), source),
        (("new", str(new)), new),
    ):
        result = as_nobody(*args)
        assert (result.returncode, result.stderr.strip()) == (
            1,
            f"error: {named}: Permission denied",
        )
    assert not (shared_folder / "q.annotator").exists()


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can enter (pytest's own base folder is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="annotator-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_no_command_lets_typer_refuse_an_unreadable_path() -> None:
    """Typer's own check ('Invalid value for SOURCE: ... is not readable', three lines, exit 2)
    would come before the commands' one-line errors."""
    import typer.main

    group = typer.main.get_group(app)
    paths = [
        (name, param.name, param.type_descriptor.parameter_info.readable)
        for name, command in group.commands.items()
        for param in command.params
        if "Path" in str(param.type_descriptor.annotation)
    ]
    assert len(paths) >= 20
    assert [path for path in paths if path[2]] == []


@needs_other_users
def test_sqlite_files_left_by_ones_own_read_only_open_do_not_keep_the_project_read_only(
    shared_folder: Path,
) -> None:
    """A user made their project read-only (chmod 444), read it (stats), then writable again:
    the -wal and -shm files their read-only open left kept the file's read-only mode, and every
    write was refused, saying they belonged to "user nobody (left by their read-only open)",
    the user themself."""
    project, source = make_project(shared_folder)
    shared_folder.chmod(0o777)
    os.chown(project, *_ids("nobody"))
    project.chmod(0o444)
    nobody = as_user("nobody", shared_folder)
    assert nobody("stats", str(project)).returncode == 0
    if not Path(f"{project}-shm").exists():
        pytest.skip("this SQLite left no -shm file after a read-only open")
    project.chmod(0o644)
    result = nobody("import", str(project), str(source))
    assert result.returncode == 0, result.stderr
