"""``annotator suggest`` from the command line: the report, the options and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from suggest_helpers import ENTITY_PATTERNS, add_texts, write_patterns
from typer.testing import CliRunner

from annotator.cli import app
from annotator.model import LabelSchema, default_schema
from annotator.store import Project

runner = CliRunner()
TEXTS = [
    "Brad Smith, PDG de Microsoft, a parlé au WSJ de la cocaïne.",
    "Microsoft a répondu.",
    "Rien.",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.annotator"
    with Project.create(path) as project:
        add_texts(project, TEXTS)
    return path


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    return write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)


def test_the_report_names_the_pipeline_with_its_version(corpus: Path) -> None:
    """It said 'with fr_project' for every version of the project's model."""
    from spacy.util import get_package_version

    result = runner.invoke(app, ["suggest", str(corpus), "--model", "fr_core_news_sm"])
    assert result.exit_code == 0, result.output
    version = get_package_version("fr_core_news_sm")
    assert result.stdout.startswith(f"3 of 3 documents with fr_core_news_sm@{version} in ")


def test_suggest_prints_a_report_per_origin(corpus: Path, patterns: Path) -> None:
    result = runner.invoke(
        app, ["suggest", str(corpus), "--model", "blank", "--patterns", str(patterns)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("3 of 3 documents with blank:fr")  # no blank line first
    # the rate is the suggesting's, as the bar showed it, with the loading said apart
    assert re.search(r"in \d+\.\d s \(\d+\.\d s loading, then [\d,]+\.\d docs/s\)", result.output)
    assert "pattern:entities.jsonl" in result.output
    assert "rule:fr_person_title_of_org" in result.output
    assert "DRUG 1" in result.output  # an unmapped label, dropped and counted
    assert "added 4 spans and 1 relation" in result.output
    with Project.open(corpus, read_only=True) as project:
        assert project.document_status(1) == "suggested"
        assert [r.label for r in project.relations(1)] == ["works_for"]


def test_docs_option_takes_ids_and_new(corpus: Path, patterns: Path) -> None:
    base = ["suggest", str(corpus), "--model", "blank", "--patterns", str(patterns)]
    result = runner.invoke(app, [*base, "--docs", "2,3"])
    assert result.exit_code == 0, result.output
    assert "2 of 2 documents" in result.output
    result = runner.invoke(app, [*base, "--docs", "new", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "1 of 1 document " in result.output
    with Project.open(corpus, read_only=True) as project:
        assert [project.document_status(i) for i in (1, 2, 3)] == ["suggested"] * 3


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_nothing_left_to_suggest_is_said_at_once_without_a_model_nor_ray(
    corpus: Path, patterns: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--docs new`` once every document has suggestions: no model loads, no Ray starts."""
    from annotator.services import suggesting
    from annotator.suggest import ray_engine

    base = ["suggest", str(corpus), "--model", "blank", "--patterns", str(patterns)]
    assert runner.invoke(app, base).exit_code == 0

    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing to do, yet it loads a model or starts Ray")

    monkeypatch.setattr(suggesting, "build_suggester", not_now)
    monkeypatch.setattr(ray_engine, "RayEngine", not_now)
    monkeypatch.setattr(ray_engine, "import_ray", lambda: None)  # with or without Ray
    for docs in ("new", "all"):
        with Project.open(corpus) as project:  # "all": every document done
            for doc_id in project.document_ids() if docs == "all" else ():
                project.set_document_status(doc_id, "done")
        result = runner.invoke(app, [*base, "--engine", engine, "--docs", docs])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("nothing to suggest: "), result.output
        assert len(result.output.strip().splitlines()) == 1


def test_stats_shows_the_suggesters(corpus: Path, patterns: Path) -> None:
    runner.invoke(app, ["suggest", str(corpus), "--model", "blank", "--patterns", str(patterns)])
    result = runner.invoke(app, ["stats", str(corpus), "--json"])
    assert result.exit_code == 0, result.output
    origins = json.loads(result.output)["origins"]
    assert origins["pattern:entities.jsonl"]["spans"]["suggested"] == 4
    assert origins["rule:fr_person_title_of_org"]["relations"]["suggested"] == 1
    table = runner.invoke(app, ["stats", str(corpus)])
    assert "Suggesters" in table.output and "pattern:entities.jsonl" in table.output


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_missing_model_is_one_line_naming_the_package(corpus: Path) -> None:
    result = runner.invoke(app, ["suggest", str(corpus), "--model", "xx_no_such_news_md"])
    assert "pip install xx_no_such_news_md" in _one_line_error(result)


def test_bad_pattern_file_and_bad_docs_are_one_line(corpus: Path, tmp_path: Path) -> None:
    bad = write_patterns(tmp_path / "bad.jsonl", ['{"label": "ORG", "pattern": "A"}', "{oops"])
    result = runner.invoke(
        app, ["suggest", str(corpus), "--model", "blank", "--patterns", str(bad)]
    )
    assert f"{bad}:2: not valid JSON" in _one_line_error(result)
    result = runner.invoke(app, ["suggest", str(corpus), "--model", "blank", "--docs", "some"])
    assert "--docs takes all, new or document ids" in _one_line_error(result)
    result = runner.invoke(app, ["suggest", str(corpus), "--model", "blank", "--docs", "42"])
    assert "no document 42" in _one_line_error(result)
    with Project.open(corpus, read_only=True) as project:
        assert project.document_ids("new") == [1, 2, 3]


def test_a_text_over_the_pipeline_max_length_is_suggested(
    tmp_path: Path, patterns: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """spaCy refuses texts over nlp.max_length (E088); suggest runs them in pieces."""
    from annotator.suggest import pipelines

    def small_pipeline(name: str, lang: str) -> pipelines.LoadedPipeline:
        loaded = real_load(name, lang)
        loaded.nlp.max_length = 200
        return loaded

    real_load = pipelines.load_pipeline
    monkeypatch.setattr(pipelines, "load_pipeline", small_pipeline)
    path = tmp_path / "long.annotator"
    text = " ".join([TEXTS[0]] * 20)  # about 1,200 characters
    with Project.create(path) as project:
        add_texts(project, [text])
    result = runner.invoke(
        app, ["suggest", str(path), "--model", "blank", "--patterns", str(patterns)]
    )
    assert result.exit_code == 0, result.output
    with Project.open(path, read_only=True) as project:
        found = sorted({text[s.start : s.end] for s in project.spans(1)})
        microsoft = [s for s in project.spans(1) if text[s.start : s.end] == "Microsoft"]
    assert "Microsoft" in found and "Brad Smith" in found
    assert len(microsoft) == 20


def test_a_second_run_says_what_it_kept_and_rules_left_out_are_one_note_per_label(
    tmp_path: Path, patterns: Path
) -> None:
    """Before: 'spans 4' in the table and 'added 0' below it, with nothing saying the four
    were pending already; and a note per default rule whose label the schema lacks (twelve)."""
    path = tmp_path / "entities-only.annotator"
    entities = LabelSchema(entities=default_schema().entities)
    with Project.create(path, schema=entities) as project:
        add_texts(project, TEXTS)
    command = ["suggest", str(path), "--model", "blank", "--patterns", str(patterns)]
    assert runner.invoke(app, command).exit_code == 0
    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert "added 0 spans and 0 relations; kept 4 and 0 found again, pending already;" in (
        again.output.replace("\n", " ")
    )
    notes = [line for line in again.output.splitlines() if line.startswith("note: ")]
    assert len(notes) == 3  # works_for, located_in, member_of
    assert any(n.startswith("note: 6 rules fr_") and "works_for is not in" in n for n in notes)


@pytest.mark.parametrize("columns", ["80", None])
def test_the_report_keeps_every_column_in_a_narrow_terminal_and_in_a_pipe(
    corpus: Path, tmp_path: Path, columns: str | None
) -> None:
    """At 80 columns a long origin pushed 'dropped', 'rejected' and 'accepted' out of the
    table; piped, rich took 80 columns too. Now the origin folds, and a pipe gets 120."""
    patterns = write_patterns(
        tmp_path / "organisations-and-people-from-the-long-list.jsonl", ENTITY_PATTERNS
    )
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    if columns:
        env["COLUMNS"] = columns
    command = ["suggest", str(corpus), "--model", "blank", "--patterns", str(patterns)]
    result = subprocess.run(
        [sys.executable, "-m", "annotator", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.strip().startswith("origin"))
    assert header.split() == ["origin", "spans", "relations", "dropped", "rejected", "accepted"]
    assert len(header) <= int(columns or 120)  # the table; a note line is never cut
    if columns is None:
        assert any("pattern:organisations-and-people-from-the-long-list.jsonl" in x for x in lines)


def test_a_project_without_documents_says_so(tmp_path: Path) -> None:
    """It said 'every document is done or skipped' of a project that holds none."""
    path = tmp_path / "empty.annotator"
    Project.create(path).close()
    result = runner.invoke(app, ["suggest", str(path), "--model", "blank"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"nothing to suggest: the project has no document yet (annotator import {path} FILES)"
    )
