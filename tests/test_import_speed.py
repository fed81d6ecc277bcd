"""The bulk import's fast paths keep every check and every row: what an import stores, and
that importing or exporting doccano never loads spaCy (a second of start-up)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from project_files import run_killed

from annotator.errors import FormatError
from annotator.services import importing
from annotator.services.importing import import_sources
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]


def _modules_loaded_by(argv: list[str]) -> list[str]:
    """Run ``annotator ARGV`` in a new interpreter; which of spaCy and thinc it imported."""
    check = (
        "import json, sys\n"
        "from annotator.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(json.dumps([m for m in ('spacy', 'thinc') if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def doccano_file(tmp_path: Path) -> Path:
    source = tmp_path / "tasks.jsonl"
    task = {
        "text": "Marie Curie travaille à Paris.",
        "entities": [
            {"id": 1, "label": "PER", "start_offset": 0, "end_offset": 11},
            {"id": 2, "label": "LOC", "start_offset": 24, "end_offset": 29},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "located_in"}],
    }
    source.write_text(json.dumps(task) + "\n", encoding="utf-8")
    return source


def test_importing_and_exporting_doccano_never_import_spacy(
    tmp_path: Path, doccano_file: Path
) -> None:
    project = str(tmp_path / "p.annotator")
    assert _modules_loaded_by(["import", project, str(doccano_file), "--format", "doccano"]) == []
    output = str(tmp_path / "out.jsonl")
    export = ["export", project, "--format", "doccano", "--output", output, "--status", "all"]
    assert _modules_loaded_by(export) == []
    assert json.loads(Path(output).read_text(encoding="utf-8"))["relations"]


@pytest.mark.parametrize("suffix", [".txt", ".jsonl"])
def test_a_format_detected_by_its_content_never_imports_spacy(
    tmp_path: Path, doccano_file: Path, suffix: str
) -> None:
    """``annotator import P FILE`` without ``--format`` asks every reader's sniffer, the spaCy
    DocBin and CoNLL ones too: asking must not load spaCy (a second of start-up)."""
    source = tmp_path / f"source{suffix}"
    if suffix == ".jsonl":
        source.write_bytes(doccano_file.read_bytes())
    else:
        source.write_text("Brad Smith rit.\n", encoding="utf-8")
    project = str(tmp_path / "p.annotator")
    assert _modules_loaded_by(["import", project, str(source)]) == []
    with Project.open(Path(project)) as opened:
        assert opened.document_ids()


TEXT = "Brad Smith works for Microsoft in Redmond."
OTHER = "Marie Curie vit à Paris."


def _task(text: str, entities: list[tuple[int, int, str]], relations=()) -> dict[str, Any]:
    return {
        "text": text,
        "entities": [
            {"id": number, "start_offset": start, "end_offset": end, "label": label}
            for number, (start, end, label) in enumerate(entities, start=1)
        ],
        "relations": [
            {"id": number, "from_id": head, "to_id": child, "type": label}
            for number, (head, child, label) in enumerate(relations, start=1)
        ],
    }


def _write(path: Path, *tasks: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(task) + "\n" for task in tasks), encoding="utf-8")
    return path


def _rows(project: Project) -> dict[str, list[tuple]]:
    """What an import stores, without the ids it draws (span ids stand as offsets)."""
    db = project.db
    return {
        "documents": db.execute("SELECT id, text, status, revision FROM documents").fetchall(),
        "spans": db.execute(
            "SELECT doc_id, start, end, label, origin, status, aligned FROM spans "
            "ORDER BY doc_id, start, end, label"
        ).fetchall(),
        "relations": db.execute(
            "SELECT r.doc_id, h.start, h.end, c.start, c.end, r.label, r.status "
            "FROM relations r JOIN spans h ON h.id = r.head JOIN spans c ON c.id = r.child "
            "ORDER BY r.rowid"
        ).fetchall(),
        "counts": db.execute("SELECT status, documents FROM document_counts").fetchall(),
        "index config": db.execute("SELECT k, v FROM documents_fts_config").fetchall(),
    }


def _found(project: Project, query: str) -> list[int]:
    rows = project.db.execute(
        "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY rowid", [query]
    )
    return [rowid for (rowid,) in rows]


def test_an_import_stores_exactly_the_rows_of_its_file(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH_RECORDS", 1)  # every record its own batch
    config = _rows(project)["index config"]
    source = _write(
        tmp_path / "tasks.jsonl",
        # overlapping spans, one off token boundaries ("Bra"), a relation, one listed twice
        _task(
            TEXT,
            [(0, 10, "PER"), (0, 3, "PER"), (5, 10, "PER"), (21, 30, "ORG")],
            [(1, 4, "works_for"), (1, 4, "works_for")],
        ),
        _task(OTHER, [(0, 11, "PER"), (18, 23, "LOC")], [(1, 2, "located_in")]),
        _task(TEXT, [(34, 41, "LOC")]),  # the first text again: merged into it
        {"text": "Sans annotation."},
    )
    report = import_sources(project, [source], format="doccano")
    assert (report.documents, report.repeated, report.spans, report.relations) == (3, 1, 7, 3)
    ensure_tokens(project)
    origin = "import:doccano"
    assert _rows(project) == {
        "documents": [
            (1, TEXT, "in_progress", 3),
            (2, OTHER, "in_progress", 2),
            (3, "Sans annotation.", "new", 0),
        ],
        "spans": [
            (1, 0, 3, "PER", origin, "accepted", 0),
            (1, 0, 10, "PER", origin, "accepted", 1),
            (1, 5, 10, "PER", origin, "accepted", 1),
            (1, 21, 30, "ORG", origin, "accepted", 1),
            (1, 34, 41, "LOC", origin, "accepted", 1),
            (2, 0, 11, "PER", origin, "accepted", 1),
            (2, 18, 23, "LOC", origin, "accepted", 1),
        ],
        "relations": [
            (1, 0, 10, 21, 30, "works_for", "accepted"),
            (1, 0, 10, 21, 30, "works_for", "accepted"),
            (2, 0, 11, 18, 23, "located_in", "accepted"),
        ],
        "counts": [("in_progress", 2), ("new", 1)],
        "index config": config,
    }
    assert _found(project, "Microsoft") == []  # the text index catches up after the import
    assert project.index_texts() == 3
    assert _rows(project)["index config"] == config  # the bulk setting is gone again
    assert _found(project, "Microsoft") == [1]
    assert _found(project, "Paris OR annotation") == [2, 3]
    project.db.execute("INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')")


def test_span_ids_stay_unique_across_imports(project: Project, tmp_path: Path) -> None:
    for number in range(3):
        source = _write(
            tmp_path / f"{number}.jsonl",
            *(_task(f"{TEXT} {number} {n}", [(0, 10, "PER"), (21, 30, "ORG")]) for n in range(5)),
        )
        import_sources(project, [source], format="doccano")
    ids = [span_id for (span_id,) in project.db.execute("SELECT id FROM spans")]
    assert len(ids) == len(set(ids)) == 30


def test_a_failed_import_leaves_no_text_indexed(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_sources(project, [_write(tmp_path / "a.jsonl", _task(OTHER, []))], format="doccano")
    before = _rows(project)
    monkeypatch.setattr(importing, "BATCH_RECORDS", 1)
    source = _write(tmp_path / "b.jsonl", _task(TEXT, [(0, 10, "PER")]), {"text": 3})
    with pytest.raises(FormatError):
        import_sources(project, [source], format="doccano")
    assert _rows(project) == before
    assert project.text_index_from() == 1  # the first import's text, still to index
    project.index_texts()
    assert _found(project, "Microsoft") == [] and _found(project, "Paris") == [1]


KILLED_WHILE_COMMITTING = """
import os, signal, sys
from pathlib import Path
from annotator.services.importing import import_sources
from annotator.store import Project

log_event = Project.log_event

def log_then_die(project, *args, **kwargs):
    log_event(project, *args, **kwargs)  # every row written, the transaction still open
    os.kill(os.getpid(), signal.SIGKILL)

Project.log_event = log_then_die
import_sources(Project.open(sys.argv[1]), [Path(sys.argv[2])], format="doccano")
"""


def test_an_import_killed_before_its_commit_leaves_the_project_as_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        import_sources(project, [_write(tmp_path / "a.jsonl", _task(OTHER, []))])
        before = _rows(project)
    source = _write(
        tmp_path / "b.jsonl", *(_task(f"{TEXT} {n}", [(0, 10, "PER")]) for n in range(300))
    )
    run_killed(KILLED_WHILE_COMMITTING, path, source)
    with Project.open(path) as project:
        assert _rows(project) == before
        assert _found(project, "Microsoft") == []


def test_every_import_runs_with_the_collector_paused(project: Project, doccano_file: Path) -> None:
    """An import makes records per span and scans for no cycle: the collector's passes cost it
    14 full collections for 10,000 documents, whoever calls ``import_sources`` (the window's
    import too, not only the command's)."""
    was = gc.isenabled()
    seen: list[bool] = []
    import_sources(
        project,
        [doccano_file],
        format="doccano",
        progress=lambda done, total: seen.append(gc.isenabled()),
    )
    assert seen and not any(seen)
    assert gc.isenabled() == was
