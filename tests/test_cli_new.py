"""``annotator new``: what would make the project unusable is refused, or said, at once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from annotator.cli import app
from annotator.store import Project

runner = CliRunner()


def test_a_language_spacy_does_not_have_is_refused_and_no_file_is_made(tmp_path: Path) -> None:
    """Before, the project was made, and every import then failed naming no project."""
    project = tmp_path / "q.annotator"
    result = runner.invoke(app, ["new", str(project), "--lang", "zz"])
    assert result.exit_code == 1
    assert result.output.startswith("error: spaCy has no language 'zz'")
    assert not project.exists()


def test_a_schema_file_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    """``{"labels": [...]}`` was read as a schema without a label."""
    schema = tmp_path / "s.json"
    schema.write_text('{"labels": ["PER"]}', encoding="utf-8")
    project = tmp_path / "q.annotator"
    result = runner.invoke(app, ["new", str(project), "--schema", str(schema)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {schema}: invalid label schema: unknown key 'labels' (a schema has entities "
        "and relations)"
    )
    assert not project.exists()


def test_a_pipeline_that_is_not_installed_is_said_at_once(tmp_path: Path) -> None:
    project = tmp_path / "m.annotator"
    result = runner.invoke(app, ["new", str(project), "--model", "xx_not_installed"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        f"Created {project} (lang fr; labels PER, ORG, LOC, MISC)",
        "note: the suggesting pipeline xx_not_installed is not installed: annotator suggest "
        "needs it (pip install xx_not_installed), or --model blank",
    ]
    plain = runner.invoke(app, ["new", str(tmp_path / "p.annotator")])
    assert "note:" not in plain.output  # fr_core_news_md is installed


def test_a_schema_without_labels_says_so(tmp_path: Path) -> None:
    schema = tmp_path / "e.json"
    schema.write_text('{"entities": []}', encoding="utf-8")
    result = runner.invoke(app, ["new", str(tmp_path / "q.annotator"), "--schema", str(schema)])
    assert result.exit_code == 0
    assert "labels none yet" in result.output


def test_a_schema_file_may_name_labels_alone_as_the_docs_show(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(
        '{"entities": ["PER", {"name": "ORG", "color": "#4363d8", "key": "2"}, "LOC"],'
        ' "relations": [{"name": "works_for", "key": "w", "allowed": [["PER", "ORG"]]}]}',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["new", str(tmp_path / "q.annotator"), "--schema", str(schema)])
    assert result.exit_code == 0, result.output
    assert "labels PER, ORG, LOC" in result.output


def test_a_schema_file_that_is_a_list_is_one_line(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text('["PER", "ORG"]', encoding="utf-8")
    result = runner.invoke(app, ["new", str(tmp_path / "q.annotator"), "--schema", str(schema)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {schema}: invalid label schema")
    assert len(result.output.strip().splitlines()) == 1


def test_a_language_code_in_capitals_is_taken_as_spacy_writes_it(tmp_path: Path) -> None:
    """``--lang FR`` was refused with pydantic's 'String should match pattern'."""
    result = runner.invoke(app, ["new", str(tmp_path / "q.annotator"), "--lang", "FR"])
    assert result.exit_code == 0, result.output
    assert "(lang fr;" in result.output
    source = tmp_path / "a.txt"
    source.write_text("Brad Smith works for Microsoft.", encoding="utf-8")
    imported = runner.invoke(
        app, ["import", str(tmp_path / "e.annotator"), str(source), "--lang", "EN"]
    )
    assert imported.exit_code == 0, imported.output
    with Project.open(tmp_path / "e.annotator", read_only=True) as project:
        assert project.settings.lang == "en"
