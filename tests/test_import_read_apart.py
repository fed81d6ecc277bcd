"""An import whose records are read and checked in a second process (large sources, two
cores) gives what one read here gives: the same report, the same errors, the same cancel."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from annotator.errors import Cancelled, FormatError
from annotator.services import child_iteration, importing
from annotator.services.importing import import_sources
from annotator.store import Project

TEXT = "Marie Curie travaille à Paris pour la Sorbonne."
SPANS = "SELECT doc_id, start, end, label, origin, status, score FROM spans ORDER BY rowid"
RELATIONS = (
    "SELECT r.doc_id, h.start, c.start, r.label, r.origin, r.status, r.score FROM relations r "
    "JOIN spans h ON h.id = r.head JOIN spans c ON c.id = r.child ORDER BY r.rowid"
)


def _task(text: str, *entities: tuple[int, int, str], **fields: Any) -> dict[str, Any]:
    return {
        "text": text,
        "entities": [
            {"id": number, "start_offset": start, "end_offset": end, "label": label}
            for number, (start, end, label) in enumerate(entities, start=1)
        ],
        **fields,
    }


def _write(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(task) + "\n" for task in tasks), encoding="utf-8")
    return path


@pytest.fixture(params=["read here", "read apart"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "read apart":  # whatever the size of the file and the machine
        monkeypatch.setattr(importing, "READ_APART_FROM", 0)
        monkeypatch.setattr(importing, "usable_cores", lambda: 2)
    return request.param


@pytest.fixture
def tasks() -> list[dict[str, Any]]:
    """Enough records for several of the reading process' batches, with a text repeated, a
    record without text, a suggestion, a score and a relation."""
    records = [
        _task(
            f"{TEXT} ({number})",
            (0, 11, "PER"),
            (24, 29, "LOC"),
            relations=[{"id": 1, "from_id": 1, "to_id": 2, "type": "located_in"}],
        )
        for number in range(600)
    ]
    records[10] = _task(records[3]["text"], (38, 46, "ORG"))  # merged into record 3
    records[20] = {"text": ""}
    records[30]["entities"][0].update(score=0.25)
    return records


def _report(project: Project, source: Path) -> dict[str, Any]:
    report = import_sources(project, [source], format="doccano").to_dict()
    del report["seconds"]
    return report


def test_the_report_and_the_rows_are_those_of_an_import_read_here(
    mode: str, tmp_path: Path, tasks: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write(tmp_path / "tasks.jsonl", tasks)
    with Project.create(tmp_path / "apart.annotator") as project:
        report = _report(project, source)
        rows = project.db.execute(SPANS).fetchall()
        relations = project.db.execute(RELATIONS).fetchall()
        duplicates = _report(project, source)  # every text is now already in the project
    assert (report["documents"], report["repeated"], report["empty"]) == (598, 1, 1)
    assert (report["spans"], report["relations"]) == (1197, 598)
    assert duplicates["duplicates"] == 599
    with monkeypatch.context() as patch:
        patch.setattr(importing, "READ_APART_FROM", 1 << 62)  # read here
        with Project.create(tmp_path / "here.annotator") as project:
            assert _report(project, source) == report
            assert project.db.execute(SPANS).fetchall() == rows
            assert project.db.execute(RELATIONS).fetchall() == relations
            assert len(relations) == 598
            assert _report(project, source) == duplicates


def test_a_bad_record_is_one_line_naming_its_line_and_nothing_is_kept(
    mode: str, tmp_path: Path, tasks: list[dict[str, Any]]
) -> None:
    tasks[450]["entities"][1]["end_offset"] = 10_000
    source = _write(tmp_path / "tasks.jsonl", tasks)
    with Project.create(tmp_path / "p.annotator") as project:
        with pytest.raises(FormatError) as raised:
            import_sources(project, [source], format="doccano")
        assert str(raised.value) == (
            f"{source}:451: entities: span [24, 10000) LOC runs past the end of the text "
            "(53 characters)"
        )
        assert project.count_documents() == 0


def test_a_line_that_is_not_json_is_one_line_naming_it(mode: str, tmp_path: Path) -> None:
    source = tmp_path / "tasks.jsonl"
    source.write_text(json.dumps(_task(TEXT)) + "\n{not json\n", encoding="utf-8")
    with Project.create(tmp_path / "p.annotator") as project:
        with pytest.raises(FormatError, match=rf"^{source}:2: "):
            import_sources(project, [source], format="doccano")
        assert project.count_documents() == 0


def test_a_cancelled_import_keeps_nothing(
    mode: str, tmp_path: Path, tasks: list[dict[str, Any]]
) -> None:
    source = _write(tmp_path / "tasks.jsonl", tasks)
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) > 300

    with Project.create(tmp_path / "p.annotator") as project:
        with pytest.raises(Cancelled):
            import_sources(project, [source], format="doccano", cancel=cancel)
        assert project.count_documents() == 0
        assert len(asked) == 301  # before each record, as read here


def test_only_large_sources_on_two_cores_are_read_apart(
    tmp_path: Path, tasks: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write(tmp_path / "tasks.jsonl", tasks)
    started: list[str] = []
    real = importing.iterate_in_child

    def watched(target: str, argument: Any) -> Any:
        started.append(target)
        return real(target, argument)

    monkeypatch.setattr(importing, "iterate_in_child", watched)
    monkeypatch.setattr(importing, "READ_APART_FROM", source.stat().st_size + 1)
    with Project.create(tmp_path / "small.annotator") as project:
        import_sources(project, [source], format="doccano")
    assert started == []
    monkeypatch.setattr(importing, "READ_APART_FROM", source.stat().st_size)
    monkeypatch.setattr(importing, "usable_cores", lambda: 1)
    with Project.create(tmp_path / "one-core.annotator") as project:
        import_sources(project, [source], format="doccano")
    assert started == []
    monkeypatch.setattr(importing, "usable_cores", lambda: 2)
    with Project.create(tmp_path / "large.annotator") as project:
        import_sources(project, [source], format="doccano")
        assert project.count_documents() == 598
    assert started == ["annotator.services.import_records:checked_records"]


def test_where_no_process_can_be_started_the_records_are_read_here(
    tmp_path: Path, tasks: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(importing, "READ_APART_FROM", 0)
    monkeypatch.setattr(importing, "usable_cores", lambda: 2)
    monkeypatch.setattr(child_iteration.subprocess, "Popen", no_process)
    source = _write(tmp_path / "tasks.jsonl", tasks)
    with Project.create(tmp_path / "p.annotator") as project:
        report = import_sources(project, [source], format="doccano")
        assert (report.documents, report.spans, report.relations) == (598, 1197, 598)


def test_a_new_project_is_made_while_the_reading_process_starts_and_stops_it_when_it_fails(
    tmp_path: Path,
    tasks: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    child_processes: list[subprocess.Popen[bytes]],
) -> None:
    """``import_into_file`` starts reading before it makes the project file, and a file that
    cannot be made leaves no reading process behind; when it can, the import is whole."""
    monkeypatch.setattr(importing, "READ_APART_FROM", 0)
    monkeypatch.setattr(importing, "usable_cores", lambda: 2)
    children = child_processes

    def no_room(*args: Any, **kwargs: Any) -> Project:
        assert len(children) == 1 and children[0].poll() is None  # reading already
        raise OSError(errno.ENOSPC, "No space left on device")

    source = _write(tmp_path / "tasks.jsonl", tasks)
    with monkeypatch.context() as patched:
        patched.setattr(importing, "new_project", no_room)
        with pytest.raises(OSError, match="No space left"):
            importing.import_into_file(tmp_path / "p.annotator", [source], format="doccano")
    assert children[0].poll() is not None  # stopped and waited for
    assert not (tmp_path / "p.annotator").exists()
    report, created = importing.import_into_file(
        tmp_path / "p.annotator", [source], format="doccano"
    )
    assert created and (report.documents, report.spans, report.relations) == (598, 1197, 598)
    assert len(children) == 2


@pytest.mark.slow
@pytest.mark.parametrize("into", ["a new project", "an existing project"])
def test_ctrl_c_keeps_nothing_of_the_import_and_stops_the_reading_process(
    into: str, tmp_path: Path, tasks: list[dict[str, Any]]
) -> None:
    """The real command on a source large enough to be read apart, interrupted as a
    terminal does (SIGINT to the group): one line saying what was kept, exit 130, no
    process left; a project it made is removed, one it was given is as it was."""
    padding = " Elle y enseigne la physique." * 14
    big = [
        _task(f"{TEXT} ({number}){padding}", (0, 11, "PER"), (24, 29, "LOC"))
        for number in range(40_000)
    ]
    source = _write(tmp_path / "big.jsonl", big)  # 40,000 texts, 22 MB
    assert source.stat().st_size >= importing.READ_APART_FROM
    path = tmp_path / "p.annotator"
    if into == "an existing project":
        with Project.create(path) as project:
            import_sources(project, [_write(tmp_path / "few.jsonl", tasks[:3])], format="doccano")
    root = Path(__file__).resolve().parents[1]
    run = subprocess.Popen(
        [sys.executable, "-m", "annotator", "import", str(path), str(source), "-f", "doccano"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a shell does
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _children(run.pid) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children(run.pid), run.communicate()  # the reading process runs
        time.sleep(0.5)  # well into the import, which takes seconds
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    removed = f"; {path}, made for it, is removed" if into == "a new project" else ""
    assert stderr.strip().splitlines() == [
        f"error: import interrupted; nothing from it was kept{removed}"
    ]
    assert run.returncode == 130
    deadline = time.monotonic() + 10
    while _group_alive(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(run.pid)
    if into == "a new project":
        assert not path.exists()
    else:
        with Project.open(path) as project:
            assert project.count_documents() == 3


def _children(pid: int) -> list[str]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return found.stdout.split()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
