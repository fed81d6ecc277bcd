"""Every file under ``../shared/fixtures`` imports, or is refused with a one-line reason naming it.

These are real files written by Prodigy, brat, doccano, Label Studio and others (see their
``SOURCES.md``), read in place and never copied here.
"""

from __future__ import annotations

from pathlib import Path

from annotator.errors import AnnotatorError
from annotator.services.importing import import_sources
from annotator.store import Project


def _outcome(source: Path, tmp_path: Path, n: int) -> tuple[str, str]:
    with Project.create(tmp_path / f"p{n}.annotator") as project:
        try:
            report = import_sources(project, [source])
        except AnnotatorError as error:
            return "refused", str(error)
        return "imported", f"{report.documents} documents, {report.spans} spans"


def test_every_fixture_file_imports_or_is_refused_clearly(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    files = sorted(path for path in fixtures_dir.rglob("*") if path.is_file())
    assert len(files) > 100
    outcomes = {path: _outcome(path, tmp_path, n) for n, path in enumerate(files)}
    unclear = {
        path: message
        for path, (kind, message) in outcomes.items()
        if kind == "refused" and (path.name not in message or "\n" in message)
    }
    assert not unclear, unclear
    imported = {
        path.relative_to(fixtures_dir).as_posix()
        for path, (kind, _) in outcomes.items()
        if kind == "imported"
    }
    # the files each importer was written for do import
    for expected in (
        "prodigy/rel_manual_bio_events.jsonl",
        "brat/tutorials/news/060-relation_annotation.ann",
        "doccano/import_examples/relation_extraction/example.jsonl",
        "conll/fr_europeana_bnf_first2000.bio",
        "labelstudio/converter-legacy-completions/348.json",
    ):
        assert expected in imported, outcomes[fixtures_dir / expected]
    # pattern files are not texts: the refusal says where they belong
    for path in (fixtures_dir / "patterns").glob("*.jsonl"):
        kind, message = outcomes[path]
        assert kind == "refused" and "annotator suggest PROJECT --patterns" in message
    kind, message = outcomes[fixtures_dir / "brat" / "tutorials" / "news" / "annotation.conf"]
    assert kind == "refused" and "a brat configuration file" in message


def test_every_fixture_folder_imports_or_is_refused_clearly(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    folders = sorted(path for path in fixtures_dir.rglob("*") if path.is_dir())
    for n, folder in enumerate(folders):
        kind, message = _outcome(folder, tmp_path, n)
        if kind == "refused":
            assert str(folder.name) in message and "\n" not in message, message
