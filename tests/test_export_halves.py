"""An export written in two processes (``export_halves``) is the file one process writes, byte
for byte, with the same report, in every format that joins; a second process that miscounts or
fails is replaced by this one, and a cancelled export leaves nothing."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from speed_corpus import build

from annotator.errors import AnnotatorError, Cancelled
from annotator.io.records import ExportReport
from annotator.services import child_iteration, export_halves
from annotator.services.exporting import export_project_file

MANIFEST = ".annotator-export.json"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Spans off token boundaries, overlapping and repeated; suggested and rejected spans and
    relations; relations whose span is not exported; documents done and not."""
    project = build(tmp_path_factory.mktemp("halves"))
    project.close()
    return project.path


@pytest.fixture
def fresh(corpus: Path, tmp_path: Path) -> Path:
    """A copy of the corpus, its tokens not made yet (an import leaves them for later)."""
    return Path(shutil.copy(corpus, tmp_path / corpus.name))


@pytest.fixture
def halves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every part of two documents or more in two processes, on any machine; the second half
    never written by this process. Gives the sizes of the parts written so."""
    parts: list[int] = []
    write_in_halves = export_halves.write_in_halves

    def counted(project: Any, entry: Any, ids: list[int], *args: Any, **kwargs: Any) -> None:
        parts.append(len(ids))
        write_in_halves(project, entry, ids, *args, **kwargs)

    def written_here(*_args: Any, **_kwargs: Any) -> ExportReport:
        raise AssertionError("the second half was written by the first process")

    monkeypatch.setattr(export_halves, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 2)
    monkeypatch.setattr(export_halves, "write_here", written_here)
    monkeypatch.setattr("annotator.services.exporting.write_in_halves", counted)
    return parts


def _export(
    project: Path, output: Path, processes: int, format: str = "doccano", **options: Any
) -> ExportReport:
    return export_project_file(
        project, format=format, output=output, processes=processes, **options
    )


def _same_report(one: ExportReport, two: ExportReport) -> None:
    for field in ("documents", "spans", "relations", "warnings", "counts"):
        assert getattr(two, field) == getattr(one, field), field
    assert {Path(k).name: v for k, v in two.summaries.items()} == {
        Path(k).name: v for k, v in one.summaries.items()
    }


def _manifest_digest(output: Path) -> str:
    return json.loads((output.parent / MANIFEST).read_text())["files"][output.name]


@pytest.mark.parametrize("format", ["doccano", "annotator", "prodigy", "conll", "conll-biluo"])
@pytest.mark.parametrize("share", [0.2, 0.45, 0.8])
@pytest.mark.parametrize(
    ("status", "spans"), [("all", "all"), ("all", "accepted"), ("done", "all")]
)
def test_two_processes_write_the_file_of_one(
    fresh: Path,
    tmp_path: Path,
    halves: list[int],
    monkeypatch: pytest.MonkeyPatch,
    format: str,
    share: float,
    status: str,
    spans: str,
) -> None:
    """Two processes first, on a project whose tokens are not made yet: they are made, and
    committed, before the second process reads them (at a share of 0.8, the second half
    holds documents imported without tokens)."""
    monkeypatch.setattr(export_halves, "SECOND_SHARE", share)  # the cut at another document
    options = {"format": format, "status": status, "spans": spans}
    two = _export(fresh, tmp_path / "two" / "out", 2, **options)
    assert halves and halves[0] >= 2
    one = _export(fresh, tmp_path / "one" / "out", 1, **options)
    assert len(halves) == 1
    data = (tmp_path / "two" / "out").read_bytes()
    assert data == (tmp_path / "one" / "out").read_bytes()
    _same_report(one, two)
    assert _manifest_digest(tmp_path / "two" / "out") == hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == [MANIFEST, "out"]
    if format == "doccano":  # numbered on across the join
        entities = [e["id"] for line in data.splitlines() for e in json.loads(line)["entities"]]
        assert entities == list(range(1, len(entities) + 1))


def test_each_part_of_a_split_is_written_in_two(
    corpus: Path, tmp_path: Path, halves: list[int]
) -> None:
    one = _export(corpus, tmp_path / "one", 1, status="all", spans="all", split=(0.5, 0.5))
    two = _export(corpus, tmp_path / "two", 2, status="all", spans="all", split=(0.5, 0.5))
    assert len(halves) == 2
    for part in ("train.jsonl", "dev.jsonl"):
        assert (tmp_path / "two" / part).read_bytes() == (tmp_path / "one" / part).read_bytes()
    _same_report(one, two)
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        p.name for p in (tmp_path / "one").iterdir()
    )


class _GivingChild:
    """A second process that gives ``results`` whatever it is asked."""

    def __init__(self, results: Iterator[Any]) -> None:
        self.results = results

    def items(self, _argument: Any) -> Iterator[Any]:
        return self.results


def _second_process_giving(monkeypatch: pytest.MonkeyPatch, results: Iterator[Any]) -> None:
    @contextmanager
    def child(_target: str) -> Iterator[_GivingChild]:
        yield _GivingChild(results)

    monkeypatch.setattr(export_halves, "child_started", child)
    monkeypatch.setattr(export_halves, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 2)


def test_a_second_half_numbered_from_a_wrong_count_is_written_again_here(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _export(corpus, tmp_path / "one.jsonl", 1, status="all", spans="all")
    _second_process_giving(monkeypatch, iter([((0, 0), ExportReport(documents=99, spans=99))]))
    two = _export(corpus, tmp_path / "two.jsonl", 2, status="all", spans="all")
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    _same_report(one, two)


def _failing() -> Iterator[Any]:
    raise AnnotatorError("the reading process stopped (exit code -9)")
    yield  # a generator


def test_a_second_process_that_fails_is_replaced_by_this_one(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = _export(corpus, tmp_path / "one.jsonl", 1, status="all", spans="all")
    _second_process_giving(monkeypatch, _failing())
    two = _export(corpus, tmp_path / "two.jsonl", 2, status="all", spans="all")
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    _same_report(one, two)


@pytest.mark.parametrize("started_ahead", [False, True])
def test_cancelled_in_two_processes_leaves_nothing(
    corpus: Path,
    tmp_path: Path,
    halves: list[int],
    child_processes: list[subprocess.Popen[bytes]],
    request: pytest.FixtureRequest,
    started_ahead: bool,
) -> None:
    ahead: list[bool] = request.getfixturevalue("ahead") if started_ahead else []
    seen: list[int] = []
    folder = tmp_path / "out"
    with pytest.raises(Cancelled):
        _export(
            corpus,
            folder / "out.jsonl",
            2,
            status="all",
            cancel=lambda: len(seen) > 1,
            progress=lambda done, total: seen.append(done),
        )
    assert halves and ahead == ([True] if started_ahead else [])
    assert list(folder.iterdir()) == []
    assert all(process.poll() is not None for process in child_processes)


def test_progress_runs_to_the_total_without_going_back(
    corpus: Path, tmp_path: Path, halves: list[int]
) -> None:
    seen: list[tuple[int, int]] = []
    report = _export(
        corpus,
        tmp_path / "out.jsonl",
        2,
        status="all",
        progress=lambda done, total: seen.append((done, total)),
    )
    dones = [done for done, _total in seen]
    assert dones == sorted(dones)
    assert seen[-1][1] == report.documents
    assert max(dones) <= report.documents


@pytest.fixture
def ahead(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The command starts a second process ahead on any project file; gives, for each part
    written in two, whether its second process was the one started ahead."""
    monkeypatch.setattr(export_halves, "AHEAD_FROM_BYTES", 0)
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 2)
    taken: list[bool] = []
    take = export_halves.SecondProcesses.take

    @contextmanager
    def recorded(self: export_halves.SecondProcesses) -> Iterator[tuple[Any, bool]]:
        with take(self) as (child, was_ahead):
            taken.append(was_ahead)
            yield child, was_ahead

    monkeypatch.setattr(export_halves.SecondProcesses, "take", recorded)
    return taken


@pytest.mark.parametrize("format", ["doccano", "conll"])
def test_a_second_process_started_ahead_writes_the_file_of_one(
    corpus: Path,
    tmp_path: Path,
    halves: list[int],
    ahead: list[bool],
    child_processes: list[subprocess.Popen[bytes]],
    format: str,
) -> None:
    """Started before the project is opened, it writes its share; a split's second part takes
    one started while the first part was written."""
    options = {"format": format, "status": "all", "spans": "all", "split": (0.5, 0.5)}
    two = _export(corpus, tmp_path / "two", 2, **options)
    assert ahead == [True, True]
    one = _export(corpus, tmp_path / "one", 1, **options)
    for part in sorted(p.name for p in (tmp_path / "one").iterdir()):
        assert (tmp_path / "two" / part).read_bytes() == (tmp_path / "one" / part).read_bytes()
    _same_report(one, two)
    assert len(child_processes) == 3  # ahead, the second part's, and the one-process export's
    assert all(process.poll() is not None for process in child_processes)


def test_no_process_is_started_for_a_part_written_in_one(
    corpus: Path,
    tmp_path: Path,
    ahead: list[bool],
    child_processes: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first part is large enough for two processes, the second is not: no second process
    is started for it while the first is written."""
    documents = _export(corpus, tmp_path / "count", 1).documents
    monkeypatch.setattr(export_halves, "MIN_DOCUMENTS", documents // 2)
    child_processes.clear()
    options = {"format": "doccano", "status": "all", "spans": "all", "split": (0.8, 0.2)}
    _export(corpus, tmp_path / "two", 2, **options)
    assert ahead == [True]  # the first part's, started before the project opened
    assert len(child_processes) == 1
    assert all(process.poll() is not None for process in child_processes)


@pytest.mark.parametrize("started_ahead", [False, True])
def test_where_no_process_can_be_started_the_part_is_written_here(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    started_ahead: bool,
) -> None:
    if started_ahead:
        request.getfixturevalue("ahead")
    monkeypatch.setattr(export_halves, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 2)
    one = _export(corpus, tmp_path / "one.jsonl", 1, status="all", spans="all")

    def no_process(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(child_iteration.subprocess, "Popen", no_process)
    two = _export(corpus, tmp_path / "two.jsonl", 2, status="all", spans="all")
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    _same_report(one, two)


def test_a_process_started_ahead_and_not_needed_is_stopped(
    corpus: Path, tmp_path: Path, ahead: list[bool], child_processes: list[subprocess.Popen[bytes]]
) -> None:
    """A project file large enough, and parts too small for two processes."""
    report = _export(corpus, tmp_path / "out.jsonl", 2, status="all")
    assert report.documents < export_halves.MIN_DOCUMENTS
    assert ahead == []
    assert len(child_processes) == 1 and child_processes[0].poll() is not None


@pytest.mark.parametrize(
    ("format", "limit", "expected"),
    [
        ("doccano", 0, True),
        ("conll", 0, True),
        ("doccano", None, False),  # the file is smaller than the limit
        ("brat", 0, False),  # a folder of files: never in two processes
        ("spacy", 0, False),
        ("no-such-format", 0, False),  # refused later, with the known formats
    ],
)
def test_only_a_large_file_of_a_joinable_format_starts_a_process_ahead(
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    format: str,
    limit: int | None,
    expected: bool,
) -> None:
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 2)
    if limit is not None:
        monkeypatch.setattr(export_halves, "AHEAD_FROM_BYTES", limit)
    assert export_halves.worth_starting_ahead(format, corpus) is expected
    assert not export_halves.worth_starting_ahead(format, corpus.with_name("missing"))
    monkeypatch.setattr(export_halves, "usable_cores", lambda: 1)
    assert not export_halves.worth_starting_ahead(format, corpus)


def test_a_process_started_ahead_is_stopped_when_its_part_ends(
    child_processes: list[subprocess.Popen[bytes]],
) -> None:
    """Not at the end of the command: a part cut short (cancelled, failed) leaves no process
    writing beside the output while it is cleaned up."""
    with export_halves.SecondProcesses() as second:
        second.start()
        with second.take() as (_child, was_ahead):
            assert was_ahead and child_processes[0].poll() is None
        assert child_processes[0].poll() is not None
        with second.take() as (_child, was_ahead):
            assert not was_ahead and child_processes[1].poll() is None
        assert child_processes[1].poll() is not None


def _doccano_source(path: Path, documents: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number in range(documents):
            text = f"Marie Curie rejoint Renault à Lyon, dépêche {number}."
            entities = [
                {"id": 1, "start_offset": 0, "end_offset": 11, "label": "PER"},
                {"id": 2, "start_offset": 20, "end_offset": 27, "label": "ORG"},
                {"id": 3, "start_offset": 30, "end_offset": 34, "label": "LOC"},
            ][: 1 + number % 3]
            relations = [{"id": 1, "from_id": 1, "to_id": 2, "type": "works_for"}]
            line = {"text": text, "entities": entities}
            if len(entities) > 1:
                line["relations"] = relations
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def test_the_export_command_writes_in_two_processes_what_one_writes(tmp_path: Path) -> None:
    """``annotator export`` of a large project (two processes where the machine has two
    cores) and ``--read-only`` (one process) write the same bytes."""
    source = tmp_path / "source.jsonl"
    _doccano_source(source, export_halves.MIN_DOCUMENTS + 100)
    project = tmp_path / "p.annotator"
    command = [sys.executable, "-m", "annotator"]
    subprocess.run([*command, "import", str(project), str(source)], check=True, capture_output=True)
    for name, extra in (("two", []), ("one", ["--read-only"])):
        done = subprocess.run(
            [
                *command,
                "export",
                str(project),
                "--format",
                "doccano",
                "--status",
                "all",
                "--output",
                str(tmp_path / name / "out.jsonl"),
                *extra,
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    two = (tmp_path / "two" / "out.jsonl").read_bytes()
    assert two == (tmp_path / "one" / "out.jsonl").read_bytes()
    assert len(two.splitlines()) == export_halves.MIN_DOCUMENTS + 100
    assert _manifest_digest(tmp_path / "two" / "out.jsonl") == hashlib.sha256(two).hexdigest()
