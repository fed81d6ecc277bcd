"""Tokens on first need: an import stores none, every reader of tokens makes them first."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.errors import Cancelled, TokensMissingError
from annotator.io import tokenize
from annotator.model import Span
from annotator.services import team, tokenizing
from annotator.services.agreement import agreement
from annotator.services.exporting import export_project_file
from annotator.services.importing import import_into_file
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project, project_stats

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
TEXTS = [
    "L'équipe de Brad Smith (Microsoft) a dit: « la Chine » n'est pas prête.",
    "Marie Curie travaille à Paris depuis lundi.",
    "Jean Dupont rejoint Airbus à Toulouse, selon l'AFP.",
    "Aujourd'hui, Danone publie ses résultats trimestriels.",
    "Sophie Martin quitte Orange pour Renault.",
]


def _doccano(path: Path, texts: list[str] = TEXTS) -> Path:
    """Each text with a PER span on its first word, and one off token boundaries ("rie")."""
    lines = []
    for number, text in enumerate(texts, start=1):
        first = text.split(" ")[0]
        entities = [{"id": 1, "start_offset": 0, "end_offset": len(first), "label": "PER"}]
        if "Marie" in text:
            entities.append({"id": 2, "start_offset": 2, "end_offset": 5, "label": "PER"})
        lines.append(json.dumps({"id": number, "text": text, "entities": entities}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """A project file made by ``annotator import`` of the doccano file: no tokens yet."""
    path = tmp_path / "lazy.annotator"
    import_into_file(path, [_doccano(tmp_path / "in.jsonl")], format="doccano")
    return path


def _token_rows(path: Path) -> int:
    with Project.open(path, read_only=True) as project:
        return project.db.execute("SELECT count(*) FROM tokens").fetchone()[0]


def test_import_stores_no_tokens_and_loads_no_language_rules(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Une phrase courte.", encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from annotator.services.importing import import_into_file\n"
        f"import_into_file(Path({str(tmp_path / 'p.annotator')!r}), [Path({str(source)!r})])\n"
        "print(sorted(m for m in sys.modules if m.startswith('spacy.lang.fr')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert done.stdout.strip() == "[]"  # French rules alone take 2.5 s to load
    assert _token_rows(tmp_path / "p.annotator") == 0


def test_unknown_language_is_still_refused_before_anything_is_made(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Text.", encoding="utf-8")
    with pytest.raises(Exception, match="spaCy has no language 'zz'"):
        import_into_file(tmp_path / "p.annotator", [source], lang="zz")
    assert not (tmp_path / "p.annotator").exists()


def test_a_reader_that_forgot_to_make_tokens_fails_loudly(imported: Path) -> None:
    with Project.open(imported) as project:
        with pytest.raises(TokensMissingError, match="document 1 is not tokenized yet"):
            project.tokens(1)
        with pytest.raises(TokensMissingError):
            project.document(1)
        with pytest.raises(TokensMissingError):
            next(project.documents_with_annotations([1]))
        assert project.document(1, tokens=False).text == TEXTS[0]
        assert project.untokenized_ids() == [1, 2, 3, 4, 5]
        # alignment is not known yet: NULL, neither aligned nor misaligned
        flags = {row[0] for row in project.db.execute("SELECT aligned FROM spans")}
        assert flags == {None}


def test_ensure_tokens_stores_the_tokenizers_offsets_and_the_alignment_flags(
    imported: Path,
) -> None:
    with Project.open(imported) as project:
        assert ensure_tokens(project, [2]) == 1
        assert project.untokenized_ids() == [1, 3, 4, 5] and project.has_untokenized()
        assert ensure_tokens(project) == 4
        assert ensure_tokens(project) == 0 and not project.has_untokenized()
        for doc_id, text in enumerate(TEXTS, start=1):
            assert project.tokens(doc_id) == next(tokenize.tokenize("fr", [text]))
        [misaligned] = project.misaligned_span_ids()
        assert (project.span(misaligned).start, project.span(misaligned).end) == (2, 5)
        flags = {row[0] for row in project.db.execute("SELECT aligned FROM spans")}
        assert flags == {0, 1}


def test_an_edit_before_the_tokens_land_gets_its_flag_when_they_do(imported: Path) -> None:
    with Project.open(imported) as project:
        span = Span(doc_id=3, start=1, end=4, label="PER")  # inside "Jean"
        project.insert_span(span)
        assert project.misaligned_span_ids(3) == []  # not known yet
        ensure_tokens(project, [3])
        assert project.misaligned_span_ids(3) == [span.id]


def test_an_interrupted_pass_keeps_its_committed_batches(
    imported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokenizing, "BATCH_DOCUMENTS", 2)
    asked = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) == 3  # before the third batch

    seen: list[tuple[int, int | None]] = []
    with Project.open(imported) as project, pytest.raises(Cancelled, match="4 documents"):
        ensure_tokens(
            project, progress=lambda done, total: seen.append((done, total)), cancel=cancel
        )
    assert seen == [(0, 5), (2, 5), (4, 5)]
    with Project.open(imported) as project:
        assert project.untokenized_ids() == [5]


def test_a_read_only_project_keeps_the_tokens_in_memory(imported: Path) -> None:
    with Project.open(imported, read_only=True) as project:
        assert ensure_tokens(project, [1, 2]) == 2
        assert project.tokens(1) == next(tokenize.tokenize("fr", [TEXTS[0]]))
        assert project.untokenized_ids() == [3, 4, 5]
    assert _token_rows(imported) == 0


def _export(path: Path, format: str, output: Path) -> bytes:
    export_project_file(path, format=format, output=output, status="all", spans="all")
    if output.is_dir():
        return b"".join(part.read_bytes() for part in sorted(output.rglob("*")) if part.is_file())
    return output.read_bytes()


@pytest.mark.parametrize("format", ["conll", "conll-biluo", "prodigy", "annotator", "spacy"])
def test_an_export_right_after_import_is_the_export_of_a_tokenized_project(
    tmp_path: Path, format: str
) -> None:
    source = _doccano(tmp_path / "in.jsonl")
    lazy, eager = tmp_path / "lazy.annotator", tmp_path / "eager.annotator"
    import_into_file(lazy, [source], format="doccano")
    import_into_file(eager, [source], format="doccano", tokenize_after=lambda *_: None)
    assert _token_rows(eager) == len(TEXTS) and _token_rows(lazy) == 0
    suffix = "" if format == "spacy" else ".out"
    written = _export(lazy, format, tmp_path / f"lazy{suffix}")
    assert written == _export(eager, format, tmp_path / f"eager{suffix}")
    assert _token_rows(lazy) == len(TEXTS)  # the export made and kept them


def test_a_writer_without_tokens_does_not_make_them(imported: Path, tmp_path: Path) -> None:
    _export(imported, "doccano", tmp_path / "out.jsonl")
    assert _token_rows(imported) == 0


def test_stats_say_how_many_documents_are_not_tokenized_yet(imported: Path) -> None:
    with Project.open(imported, read_only=True) as project:
        spans = project_stats(project)["spans"]
    assert (spans["misaligned"], spans["untokenized_documents"]) == (0, 5)
    result = runner.invoke(app, ["stats", str(imported)])
    assert (
        "0 not on token boundaries; not known yet for 5 documents whose tokens are made when "
        "opened or exported, or now by annotator tokenize"
    ) in " ".join(result.output.split())
    result = runner.invoke(app, ["tokenize", str(imported)])
    assert result.exit_code == 0, result.output
    assert "Tokenized 5 documents; 1 span not on token boundaries" in result.output
    with Project.open(imported, read_only=True) as project:
        spans = project_stats(project)["spans"]
    assert (spans["misaligned"], spans["untokenized_documents"]) == (1, 0)


def test_import_with_tokenize_reports_the_misaligned_spans(tmp_path: Path) -> None:
    project = tmp_path / "p.annotator"
    source = _doccano(tmp_path / "in.jsonl")
    result = runner.invoke(app, ["import", str(project), str(source), "--tokenize"])
    assert result.exit_code == 0, result.output
    assert "1 span not on token boundaries" in result.output
    assert _token_rows(project) == len(TEXTS)


def test_team_merge_and_agreement_of_untokenized_projects(tmp_path: Path) -> None:
    paths = []
    for name in ("ana", "bob"):
        path = tmp_path / f"{name}.annotator"
        import_into_file(path, [_doccano(tmp_path / "in.jsonl")], format="doccano")
        with Project.open(path) as project:
            project.set_settings(project.settings.model_copy(update={"annotator": name}))
            for doc_id in project.document_ids():
                project.set_document_status(doc_id, "done")
        paths.append(path)
    report = team.merge_projects(tmp_path / "merged.annotator", paths)
    assert report.documents == len(TEXTS)
    figures = agreement(paths)
    assert figures["documents"] == len(TEXTS)
    assert figures["tokens"] == sum(len(t) for t in tokenize.tokenize("fr", TEXTS))
    with Project.open(tmp_path / "merged.annotator", read_only=True) as merged:
        for doc_id, text in merged.texts(merged.document_ids()):
            assert merged.tokens(doc_id) == next(tokenize.tokenize("fr", [text]))
    assert _token_rows(paths[0]) == 0  # members are only read


def test_propagation_finds_mentions_in_untokenized_documents(tmp_path: Path) -> None:
    from annotator.services.suggesting import propagate_from

    path = tmp_path / "p.annotator"
    texts = ["Brad Smith est à Paris.", "Hier, Brad Smith a parlé.", "Brad Smithson non."]
    _doccano(tmp_path / "in.jsonl", texts)
    import_into_file(path, [tmp_path / "in.jsonl"], format="doccano")
    with Project.open(path) as project:
        span = Span(doc_id=1, start=0, end=10, label="PER", origin="human")
        project.insert_span(span)
        assert propagate_from(project, span) == 1  # "Brad Smithson" is not on its tokens
        assert [(s.start, s.end) for s in project.spans(2, "suggested")] == [(6, 16)]


def test_a_language_asked_from_two_threads_at_once_is_loaded_once(monkeypatch) -> None:
    # the window's background pass and a document opened meanwhile both ask for the tokenizer
    loads = []

    def slow_blank(lang: str) -> object:
        loads.append(lang)
        time.sleep(0.2)
        return object()

    monkeypatch.setattr("spacy.blank", slow_blank)
    threads = [threading.Thread(target=tokenize.blank, args=("zz-twice",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["zz-twice"]
