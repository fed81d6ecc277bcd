"""``annotator suggest --n-process N``: the whole suggester runs in N worker processes.

The same suggestions as one process (spans, scores, relations, origins), the main process loads
no model and computes nothing, batches are committed in order, and cancel, Ctrl+C and a lost
worker keep what was committed. A blank pipeline with patterns, propagation and the shipped
French relation rules keeps the workers light.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest
from conftest import interruptible
from suggest_helpers import (
    ENTITY_PATTERNS,
    add_texts,
    covered,
    described_relations,
    exiting_suggester,
    write_patterns,
)
from typer.testing import CliRunner

from annotator import edits
from annotator.cli.app import app
from annotator.errors import AnnotatorError
from annotator.model import Span
from annotator.services.suggesting import SuggestOptions, SuggestReport, run_suggestions
from annotator.store import Project
from annotator.suggest.local_pool import LocalPool
from annotator.suggest.results import DocumentInput

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "La Chine inquiète, a déclaré le président de Microsoft, Brad Smith, au WSJ.",
    "Brad Smith, PDG de Microsoft, répond au WSJ.",
    "Satya Nadella dirige Microsoft depuis 2014 ; Brad Smith aussi.",
    "Un texte sans rien à suggérer.",
    "Selon Lisa Su, AMD progresse.",
]


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    return write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)


def _project(path: Path, copies: int) -> Project:
    """TEXTS ``copies`` times, with a person's spans in the first copy: "La Chine", and
    "Lisa Su" (no pattern has it: it propagates to the other copies, with a score)."""
    project = Project.create(path)
    add_texts(project, [f"{text} ({n})" for n in range(copies) for text in TEXTS])
    project.apply(edits.add_span(Span(doc_id=1, start=0, end=8, label="LOC")))
    project.apply(edits.add_span(Span(doc_id=5, start=6, end=13, label="PER")))
    return project


def _everything(project: Project) -> list[tuple[object, ...]]:
    """Per document: status, spans with origin, status and score, relations with origin."""
    return [
        (
            doc_id,
            project.document_status(doc_id),
            sorted(
                (s.start, s.end, s.label, s.origin, s.status, s.score)
                for s in project.spans(doc_id)
            ),
            sorted(described_relations(project, doc_id)),
        )
        for doc_id in project.document_ids()
    ]


def _options(patterns: Path, **more: object) -> SuggestOptions:
    return SuggestOptions(model="blank", patterns=(patterns,), batch_size=3, **more)  # type: ignore[arg-type]


def _counts(report: SuggestReport) -> tuple[object, ...]:
    return (
        report.documents,
        report.spans_added,
        report.relations_added,
        report.spans_removed,
        report.tally,
        report.model,
        sorted(report.notes),
    )


def test_two_processes_store_exactly_what_one_stores(patterns: Path, tmp_path: Path) -> None:
    with (
        _project(tmp_path / "one.annotator", 4) as one,
        _project(tmp_path / "two.annotator", 4) as two,
    ):
        first = run_suggestions(one, _options(patterns))
        second = run_suggestions(two, _options(patterns, n_process=2))
        assert _everything(two) == _everything(one)
        assert _counts(second) == _counts(first)
        spans = [span for row in _everything(one) for span in row[2]]  # type: ignore[attr-defined]
        assert {"propagation", "pattern:entities.jsonl"} <= {span[3] for span in spans}
        assert any(score is not None for *_, score in spans)  # propagation's
        assert any(relations for *_, relations in _everything(one))  # the rules ran
        # a person's decision, then a second run on each: still the same
        for project in (one, two):
            wsj = next(s for s in project.spans(6) if covered(project, s) == "WSJ")
            project.apply(edits.reject_span(wsj))
        run_suggestions(one, _options(patterns))
        again = run_suggestions(two, _options(patterns, n_process=2))
        assert again.spans_added == 0
        assert _everything(two) == _everything(one)


def test_the_main_process_loads_no_model_and_computes_nothing(
    patterns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _project(tmp_path / "one.annotator", 2) as one:
        run_suggestions(one, _options(patterns))
        expected = _everything(one)

    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the main process should leave this to the workers")

    with _project(tmp_path / "two.annotator", 2) as two:
        # the workers are fresh processes: these hold in this process only
        monkeypatch.setattr("annotator.suggest.pipelines.load_pipeline", not_here)
        monkeypatch.setattr("annotator.suggest.suggester.Suggester.suggest_doc", not_here)
        report = run_suggestions(two, _options(patterns, n_process=2))
        assert report.model == "blank:fr"
        assert _everything(two) == expected


def test_batches_are_committed_in_order_with_progress_after_each(
    patterns: Path, tmp_path: Path
) -> None:
    seen: list[tuple[int, list[int]]] = []
    with _project(tmp_path / "two.annotator", 4) as project:

        def progress(done: int, total: int) -> None:
            seen.append((done, project.document_ids("new")))

        run_suggestions(project, _options(patterns, n_process=2), progress=progress)
    assert [done for done, _ in seen] == [0, 3, 6, 9, 12, 15, 18, 20]
    for done, left in seen:
        assert left == list(range(done + 1, 21))


def test_a_cancelled_run_keeps_the_batches_it_stored(patterns: Path, tmp_path: Path) -> None:
    stored: list[int] = []
    with _project(tmp_path / "two.annotator", 6) as project:
        report = run_suggestions(
            project,
            _options(patterns, n_process=2),
            progress=lambda done, total: stored.append(done),
            cancel=lambda: len(stored) > 1,  # after the first committed batch
        )
        assert report.cancelled
        assert report.documents == 3 < report.selected == 30
        assert sorted(project.document_ids("suggested")) == [1, 2, 3]


def test_cancel_while_the_workers_compute_stops_without_waiting(
    patterns: Path, tmp_path: Path
) -> None:
    """The window's Cancel: asked while waiting for a batch, nothing more is stored."""
    started: list[float] = []
    with _project(tmp_path / "two.annotator", 2) as project:
        report = run_suggestions(
            project,
            _options(patterns, n_process=2),
            progress=lambda done, total: started.append(time.perf_counter()),
            cancel=lambda: bool(started),  # once the workers have loaded the model
        )
        assert report.cancelled and report.documents == 0
        assert project.document_ids("new") == list(range(1, 11))


def test_a_missing_model_in_the_workers_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        add_texts(project, TEXTS)
    result = CliRunner().invoke(
        app, ["suggest", str(path), "--model", "fr_no_such_pipeline", "--n-process", "2"]
    )
    assert result.exit_code == 1
    assert "'fr_no_such_pipeline' is not installed" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with Project.open(path) as project:
        assert project.document_ids("new") == [1, 2, 3, 4, 5]


def test_a_lost_worker_is_one_line_after_the_batches_before_it(patterns: Path) -> None:
    inputs = [DocumentInput(doc_id=n, text=f"{TEXTS[0]} ({n})") for n in range(1, 13)]
    pool = LocalPool(functools.partial(exiting_suggester, patterns, inputs[7].text), 2)
    got: list[int] = []
    try:
        with pytest.raises(AnnotatorError, match="worker process stopped.*--docs new"):
            for batch in pool.suggest(inputs, batch_size=2):
                got += [result.doc_id for result in batch]
    finally:
        pool.close()
    assert got == list(range(1, 7))[: len(got)]  # in order, none after the lost batch
    assert 7 not in got and 8 not in got


@pytest.mark.slow
def test_ctrl_c_stops_the_run_and_its_workers(patterns: Path, tmp_path: Path) -> None:
    """Ctrl+C in a terminal signals the whole process group: the workers ignore it, the
    command stops with one line, keeps the committed batches, and leaves no process behind."""
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        add_texts(project, [f"{text} ({n})" for n in range(250) for text in TEXTS])
    command = [sys.executable, "-m", "annotator", "suggest", str(path), "--model", "blank"]
    command += ["--patterns", str(patterns), "--n-process", "2", "--batch-size", "2"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = interruptible(command, cwd=ROOT, env=environment, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not _suggested(path) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run.poll() is None, run.communicate()
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 130
    [line] = stderr.strip().splitlines()  # it named neither the project nor how far it got
    assert re.fullmatch(
        rf"error: interrupted after (\d+) of 1,250 documents; {re.escape(str(path))} keeps "
        r"every batch committed \(run the command again for the rest: --docs new takes the "
        r"documents never suggested\)",
        line,
    ), line
    _wait_until_gone(run.pid)
    with Project.open(path) as project:
        done = project.document_ids("suggested")
        assert 0 < len(done) < 1250 and len(done) % 2 == 0  # whole batches only
    said = int(re.search(r"after (\d+) of", line).group(1))  # type: ignore[union-attr]
    assert said <= len(done) <= said + 2  # a batch may commit before the bar shows it


def _suggested(path: Path) -> bool:
    try:
        with Project.open(path, read_only=True) as project:
            return bool(project.document_ids("suggested"))
    except AnnotatorError:  # busy while a batch commits
        return False


def _wait_until_gone(group: int, seconds: float = 60) -> None:
    """Every process of the group (the command and its workers) has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError("worker processes are left behind")
