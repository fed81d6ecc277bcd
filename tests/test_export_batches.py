"""CoNLL written a batch of documents at a time gives the bytes and the report of one at a time.

``write_conll`` takes ``BATCH`` documents from the stream and writes those with plain stored
tokens together from arrays (``conll._plain_run``); any other one, or all when ``_plain_run``
is switched off here, goes through the per-document code. The report must read the same too:
the stream's own notes (relations left out by the selection) are held back while a batch is
taken, and put back in document order.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from speed_corpus import build
from test_export_fast_paths import TEXTS, _doccano_line

from annotator.io import conll
from annotator.services.export_output import _manifest_json, _manifest_text
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
MORE = [
    # a misaligned span starting inside the last token of the last document: contract moves
    # its first token past the end of the joined arrays
    "Un texte qui finit par Toulouse",
    "L'accord d'aujourd'hui : Renault , Airbus . Danone !",
    "",  # no token at all
    "Paris",  # one token
    "Le Quotidien de 北京 cite Pékin et Airbus .",  # not Latin-1: four bytes a character
    "Un trait d'union\xadconditionnel à Lyon .",  # Latin-1 but not printable: not plain
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batches")
    project = build(folder)
    lines = [_doccano_line(n, text) for n, text in enumerate(TEXTS + MORE)]
    lines[len(TEXTS)]["entities"].append(
        {"id": 99, "start_offset": 25, "end_offset": 31, "label": "LOC"}  # "ulouse"
    )
    lines[len(TEXTS) + 1]["entities"] += [
        {"id": 98, "start_offset": 0, "end_offset": 2, "label": "MISC"},
        {"id": 97, "start_offset": 40, "end_offset": 46, "label": "MISC"},
        {"id": 96, "start_offset": 8, "end_offset": 9, "label": "MISC"},
    ]
    source = folder / "more.jsonl"
    source.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    import_sources(project, [source], format="doccano")
    ensure_tokens(project)
    project.close()  # a span outside its text stops the export (test_export_cli)
    return folder / "golden.annotator"


def _export(
    path: Path, output: Path, format: str, spans: str, misaligned: str
) -> tuple[str, tuple]:
    with Project.open(path, read_only=True) as project:
        report = export_project(
            project, format, output, status="all", spans=spans, misaligned=misaligned
        )
    details = (list(report.counts.items()), report.warnings, report.spans, report.relations)
    return output.read_text(encoding="utf-8"), details


@pytest.mark.parametrize("format", ["conll", "conll-biluo"])
@pytest.mark.parametrize("misaligned", ["expand", "contract", "skip"])
@pytest.mark.parametrize("spans", ["all", "accepted"])
@pytest.mark.parametrize(
    ("batch", "characters"), [(1, 10**6), (2, 10**6), (5, 10**6), (500, 10**6), (500, 150)]
)
def test_batches_write_what_one_document_at_a_time_writes(
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    format: str,
    misaligned: str,
    spans: str,
    batch: int,
    characters: int,
) -> None:
    monkeypatch.setattr(conll, "BATCH", batch)
    monkeypatch.setattr(conll, "BATCH_CHARACTERS", characters)  # 150: two or three texts
    taken = []
    plain_run = conll._plain_run

    def counted(run: list, writer: object) -> object:
        result = plain_run(run, writer)  # type: ignore[arg-type]
        taken.append(isinstance(result, bytes))
        return result

    monkeypatch.setattr(conll, "_plain_run", counted)
    batched = _export(corpus, tmp_path / "batched", format, spans, misaligned)
    assert any(taken)  # the arrays wrote some runs
    monkeypatch.setattr(conll, "_plain_run", lambda run, writer: None)
    one_by_one = _export(corpus, tmp_path / "one", format, spans, misaligned)
    assert batched[0] == one_by_one[0]
    assert batched[1] == one_by_one[1]  # counts in the same order, warnings too


def test_the_corpus_has_what_the_batches_must_keep_in_order(corpus: Path, tmp_path: Path) -> None:
    lines, (counts, warnings, *_) = _export(
        corpus, tmp_path / "out", "conll", "accepted", "contract"
    )
    keys = dict(counts)
    for key in ("relations_without_spans", "misaligned_contracted", "overlapping_removed"):
        assert keys.get(key), key
    assert any("'ulouse' is not on token boundaries; skipped" in w for w in warnings)
    with Project.open(corpus, read_only=True) as project:
        assert lines.count("-DOCSTART- O\n") == project.count_documents()


def test_sentence_punctuation_is_spacys() -> None:
    from spacy.pipeline import Sentencizer

    assert tuple(map(ord, Sentencizer.default_punct_chars)) == conll.SENTENCE_PUNCT


def test_a_conll_export_of_plain_documents_does_not_import_spacy(tmp_path: Path) -> None:
    source = tmp_path / "plain.jsonl"
    lines = [_doccano_line(n, text) for n, text in enumerate([TEXTS[0], *MORE[:2]])]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with Project.create(tmp_path / "plain.annotator") as project:
        import_sources(project, [source], format="doccano")
        ensure_tokens(project)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from annotator.services.exporting import export_project\n"
        "from annotator.store import Project\n"
        "with Project.open(Path(sys.argv[1])) as project:\n"
        "    export_project(project, 'conll', Path(sys.argv[2]), status='all')\n"
        "print('spacy' in sys.modules)\n"
    )
    output = tmp_path / "out.conll"
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "plain.annotator"), str(output)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stdout.strip() == "False", done.stderr
    assert output.read_text(encoding="utf-8").count("-DOCSTART- O") == 3


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_as_it_was_after_an_export(
    corpus: Path, tmp_path: Path, enabled: bool
) -> None:
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        _export(corpus, tmp_path / "out", "conll", "all", "expand")
        with Project.open(corpus, read_only=True) as project:
            export_project(project, "brat", tmp_path / "brat", status="all")
        assert gc.isenabled() == enabled
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize(
    "format", ["doccano", "labelstudio", "prodigy", "annotator", "brat", "conll"]
)
def test_every_writer_runs_with_the_collector_paused(
    corpus: Path, tmp_path: Path, format: str
) -> None:
    """An export makes a record per span and scans for no cycle: the collector's passes over
    them cost a doccano export a sixth of its CPU, whoever calls ``export_project``."""
    was = gc.isenabled()
    seen: list[bool] = []
    with Project.open(corpus, read_only=True) as project:
        export_project(
            project,
            format,
            tmp_path / "out",
            status="all",
            progress=lambda done, total: seen.append(gc.isenabled()),
        )
    assert seen and not any(seen)
    assert gc.isenabled() == was


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"a.ann": ("0" * 64,)},
        {'b/é"\\\n.txt': ("ab",), "a": ("x",), "\u2028": ("y",)},
        {"kept.conll": ("old", "new")},  # two contents while a rename runs
    ],
)
def test_the_manifest_is_written_as_json_dumps_writes_it(files: dict) -> None:
    data = _manifest_json(files)
    assert _manifest_text(data) == json.dumps(data, indent=1)
