"""brat standoff: reading real corpora and hand-made edge cases, writing, and reading back."""

from __future__ import annotations

from pathlib import Path

import pytest

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.errors import FormatError
from annotator.io import registry
from annotator.io.brat import annotation_conf
from annotator.io.records import ExportDocument, ImportRecord
from annotator.model import Document, LabelSchema, Relation, Span
from annotator.model.schema import EntityLabel, RelationLabel
from annotator.services.importing import import_sources
from annotator.store import Project

TEXT = "Brad Smith works for Microsoft in Redmond.\n"


def read(path: Path) -> list[ImportRecord]:
    return list(registry.read(path, "brat"))


def pair(folder: Path, name: str, text: str, ann: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
    if ann is not None:
        (folder / f"{name}.ann").write_text(ann, encoding="utf-8", newline="")
    return folder / f"{name}.txt"


def test_every_fixture_file_imports_and_no_line_is_lost(fixtures_dir: Path) -> None:
    folder = fixtures_dir / "brat"
    records = read(folder)
    ann_files = sorted(folder.rglob("*.ann"))
    assert len(records) == len(sorted(folder.rglob("*.txt"))) == len(ann_files)
    lines = [line for f in ann_files for line in f.read_text("utf-8").splitlines() if line]
    by_kind: dict[str, int] = {}
    for line in lines:
        by_kind[line[0]] = by_kind.get(line[0], 0) + 1
    kept: dict[str, int] = {}
    for record in records:
        for key, values in record.meta.get("brat", {}).items():
            kept[key] = kept.get(key, 0) + len(values)
    assert sum(len(r.spans) for r in records) == by_kind["T"]
    assert sum(len(r.relations) for r in records) + kept.get("relations", 0) == by_kind["R"]
    assert kept["events"] == by_kind["E"]
    assert kept["attributes"] == by_kind["A"] + by_kind["M"]
    assert kept["normalizations"] == by_kind["N"]
    assert kept["notes"] == by_kind["#"]
    assert kept["equivalences"] == by_kind["*"]


def test_fixture_spans_match_their_text(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "brat" / "tutorials" / "news")
    record = next(r for r in records if r.where == "110-note_annotation.txt")
    spans = {span.key: span for span in record.spans}
    assert record.text[spans["T6"].start : spans["T6"].end] == "Orville Wright"
    assert [(r.head, r.child, r.label) for r in record.relations] == [
        ("T6", "T7", "Family"),
        ("T13", "T14", "Family"),
    ]
    assert record.meta["brat"]["notes"][0] == {
        "id": "#1",
        "type": "AnnotatorNotes",
        "target": "T1",
        "text": "Should fictional places be annotated?",
    }


def test_empty_ann_files_give_documents_without_spans(fixtures_dir: Path) -> None:
    records = read(fixtures_dir / "brat" / "tutorials" / "news")
    empty = next(r for r in records if r.where == "010-navigation.txt")
    assert empty.text and not empty.spans and not empty.relations


def test_discontinuous_span_becomes_the_covering_span_with_fragments_in_meta(
    tmp_path: Path,
) -> None:
    pair(
        tmp_path,
        "d",
        TEXT,
        "T1\tPER 0 4;11 16\tBrad works\nT2\tORG 21 30\tMicrosoft\n"
        "R1\tworks_for Arg1:T1 Arg2:T2\t\n",
    )
    (record,) = read(tmp_path)
    assert [(s.start, s.end, s.label, s.key) for s in record.spans] == [
        (0, 16, "PER", "T1"),
        (21, 30, "ORG", "T2"),
    ]
    assert record.meta["brat"]["discontinuous"] == {"T1": [[0, 4], [11, 16]]}
    assert [(r.head, r.child) for r in record.relations] == [("T1", "T2")]


def test_event_attribute_note_normalization_and_equivalence_lines_are_kept(
    tmp_path: Path,
) -> None:
    ann = (
        "T1\tPER 0 10\tBrad Smith\n"
        "T2\tWork 11 16\tworks\n"
        "T3\tORG 21 30\tMicrosoft\n"
        "E1\tWork:T2 Agent:T1 Org:T3\n"
        "A1\tNegation E1\n"
        "A2\tConfidence E1 High\n"
        "M1\tSpeculation E1\n"
        "N1\tReference T3 Wikidata:Q2283\tMicrosoft\n"
        "#1\tAnnotatorNotes T1\tcheck this\n"
        "*\tEquiv T1 T3\n"
        "R1\tCause Arg1:E1 Arg2:T3\t\n"
    )
    pair(tmp_path, "e", TEXT, ann)
    brat_meta = read(tmp_path)[0].meta["brat"]
    assert brat_meta["events"] == [
        {"id": "E1", "type": "Work", "trigger": "T2", "args": [["Agent", "T1"], ["Org", "T3"]]}
    ]
    assert brat_meta["attributes"] == [
        {"id": "A1", "name": "Negation", "target": "E1", "value": True},
        {"id": "A2", "name": "Confidence", "target": "E1", "value": "High"},
        {"id": "M1", "name": "Speculation", "target": "E1", "value": True},
    ]
    assert brat_meta["normalizations"][0]["ref"] == "Wikidata:Q2283"
    assert brat_meta["notes"][0]["text"] == "check this"
    assert brat_meta["equivalences"] == [{"type": "Equiv", "members": ["T1", "T3"]}]
    # an R line between an event and a span cannot be a relation: it is kept, not dropped
    assert brat_meta["relations"][0]["arg1"] == "E1"


def test_backup_files_are_ignored_and_named(tmp_path: Path) -> None:
    pair(tmp_path, "b", TEXT, "T1\tPER 0 10\tBrad Smith\n")
    (tmp_path / "b.ann~").write_text("T1\tORG 0 4\tBrad\n", encoding="utf-8")
    (record,) = read(tmp_path)
    assert [(s.start, s.end, s.label) for s in record.spans] == [(0, 10, "PER")]
    assert record.meta["brat"]["ignored_files"] == ["b.ann~"]


def test_txt_without_ann_is_a_plain_document_and_a_single_pair_reads(tmp_path: Path) -> None:
    pair(tmp_path, "plain", "Just text.", None)
    path = pair(tmp_path, "one", TEXT, "T1\tLOC 34 41\tRedmond\n")
    assert [(r.where, len(r.spans)) for r in read(tmp_path)] == [("one.txt", 1), ("plain.txt", 0)]
    assert [r.where for r in read(path.with_suffix(".ann"))] == ["one.txt"]


def test_crlf_text_keeps_its_offsets(tmp_path: Path) -> None:
    pair(tmp_path, "c", "Line one\r\nParis here", "T1\tLOC 10 15\tParis\n")
    (record,) = read(tmp_path)
    assert record.text[record.spans[0].start : record.spans[0].end] == "Paris"


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        (
            "T1\tPER 0 10\tBrad Smith\nT2\tLOC 34 99\tRedmond\n",
            "x.ann:2: T2: offsets 34 99 run past",
        ),
        ("T1\tPER 0 10\tBrad Jones\n", "x.ann:1: T1: text 'Brad Jones' does not match"),
        ("T1\tPER zero ten\tBrad\n", "x.ann:1: T1: expected 'Label START END"),
        ("X1\tPER 0 4\tBrad\n", "x.ann:1: unknown annotation type 'X1'"),
        ("T1\tPER 0 4\tBrad\nT1\tPER 0 4\tBrad\n", "x.ann:2: T1 is defined twice"),
    ],
)
def test_bad_lines_are_refused_naming_file_and_line(tmp_path: Path, ann: str, message: str) -> None:
    pair(tmp_path, "x", TEXT, ann)
    with pytest.raises(FormatError) as error:
        read(tmp_path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_ann_without_txt_is_refused(tmp_path: Path) -> None:
    tmp_path.joinpath("lonely.ann").write_text("T1\tPER 0 4\tBrad\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"lonely\.ann: no lonely\.txt beside it"):
        read(tmp_path)


def _export_documents() -> list[ExportDocument]:
    text = "Brad Smith works for Microsoft\nCorporation in Redmond."
    doc = Document(id=7, text=text, meta={"source": "news/article one.txt"}, status="done")
    spans = [
        Span(id="s1", doc_id=7, start=0, end=10, label="PER"),
        Span(id="s2", doc_id=7, start=21, end=42, label="ORG"),  # crosses the line break
        Span(id="s3", doc_id=7, start=46, end=53, label="LOC"),
        Span(id="s4", doc_id=7, start=0, end=4, label="MISC", status="suggested"),
    ]
    relations = [
        Relation(doc_id=7, head="s1", child="s2", label="works_for"),
        Relation(doc_id=7, head="s2", child="s3", label="located_in"),
    ]
    other = Document(id=8, text="Nothing here.", status="done")
    return [ExportDocument(doc, spans, relations), ExportDocument(other, [], [])]


def test_write_then_read_gives_the_same_spans_and_relations(tmp_path: Path) -> None:
    documents = _export_documents()
    report = registry.write("brat", documents, tmp_path / "out")
    assert report.spans == 4 and report.relations == 2
    ann = (tmp_path / "out" / "article_one.ann").read_text("utf-8")
    assert "T3\tORG 21 30;31 42\tMicrosoft Corporation\n" in ann
    records = {r.where: r for r in read(tmp_path / "out")}
    assert set(records) == {"article_one.txt", "doc-8.txt"}
    back = records["article_one.txt"]
    assert back.text == documents[0].document.text
    assert sorted((s.start, s.end, s.label) for s in back.spans) == sorted(
        (s.start, s.end, s.label) for s in documents[0].spans
    )
    by_key = {s.key: (s.start, s.end) for s in back.spans}
    by_id = {s.id: (s.start, s.end) for s in documents[0].spans}
    assert sorted((by_key[r.head], by_key[r.child], r.label) for r in back.relations) == sorted(
        (by_id[r.head], by_id[r.child], r.label) for r in documents[0].relations
    )
    assert not records["doc-8.txt"].spans


def test_spans_of_a_text_with_line_breaks_each_stay_on_their_line(tmp_path: Path) -> None:
    """A text of several lines whose spans cross none: one T line each, with brat's offsets;
    the last line ends a span with the text, the first a relation."""
    text = "Brad Smith works\nfor Microsoft.\n\nIn Redmond"
    doc = Document(id=3, text=text, meta={"source": "lines.txt"}, status="done")
    spans = [
        Span(id="a", doc_id=3, start=0, end=10, label="PER"),
        Span(id="b", doc_id=3, start=21, end=30, label="ORG"),
        Span(id="c", doc_id=3, start=36, end=43, label="LOC"),
    ]
    relations = [Relation(doc_id=3, head="a", child="b", label="works_for")]
    registry.write("brat", [ExportDocument(doc, spans, relations)], tmp_path / "out")
    assert (tmp_path / "out" / "lines.ann").read_text("utf-8") == (
        "T1\tPER 0 10\tBrad Smith\nT2\tORG 21 30\tMicrosoft\nT3\tLOC 36 43\tRedmond\n"
        "R1\tworks_for Arg1:T1 Arg2:T2\t\n"
    )
    back = read(tmp_path / "out")[0]
    assert [(s.start, s.end, s.label) for s in back.spans] == [
        (0, 10, "PER"),
        (21, 30, "ORG"),
        (36, 43, "LOC"),
    ]


def test_a_line_break_at_a_span_end_is_left_out_and_said(tmp_path: Path) -> None:
    """'\nParis' was written as 'Paris' without a word (found by a new-user run)."""
    text = "Jean Dupont\nParis est belle."
    doc = Document(id=3, text=text, meta={"source": "nl.txt"}, status="done")
    spans = [Span(id="a", doc_id=3, start=11, end=17, label="LOC")]
    report = registry.write("brat", [ExportDocument(doc, spans, [])], tmp_path / "out")
    assert (tmp_path / "out" / "nl.ann").read_text("utf-8") == "T1\tLOC 12 17\tParis\n"
    assert report.counts == {"brat: line breaks at a span's ends left out": 1}
    assert report.warnings == [
        "document 3: span [11, 17) LOC '\\nParis' begins or ends with a line break, which "
        "brat spans do not hold; written as [12, 17) 'Paris'"
    ]


def test_annotation_conf_lists_labels_and_allowed_pairs() -> None:
    schema = LabelSchema(
        entities=(EntityLabel(name="PER"), EntityLabel(name="ORG"), EntityLabel(name="LOC")),
        relations=(
            RelationLabel(name="works_for", allowed=(("PER", "ORG"),)),
            RelationLabel(name="located_in", allowed=(("ORG", "LOC"), ("PER", "LOC"))),
            RelationLabel(name="same_as", directed=False),
        ),
    )
    conf = annotation_conf(schema, {"MISC"})
    sections = conf.split("\n\n")
    assert sections[0] == "[entities]\nPER\nORG\nLOC\nMISC"
    assert sections[1].splitlines() == [
        "[relations]",
        "works_for\tArg1:PER, Arg2:ORG",
        "located_in\tArg1:ORG, Arg2:LOC",
        "located_in\tArg1:PER, Arg2:LOC",
        "same_as\tArg1:<ENTITY>, Arg2:<ENTITY>, <REL-TYPE>:symmetric",
    ]
    assert "[events]" in conf and "[attributes]" in conf


def test_a_part_of_a_split_export_goes_in_its_own_folder(tmp_path: Path) -> None:
    schema = LabelSchema(entities=(EntityLabel(name="PER", color="#112233"),))
    report = registry.write(
        "brat", _export_documents()[:1], tmp_path / "out", part="train", schema=schema
    )
    assert str(tmp_path / "out" / "train" / "article_one.ann") in report.files
    assert "PER\tbgColor:#112233" in (tmp_path / "out" / "train" / "visual.conf").read_text()


def test_a_brat_folder_imports_into_a_project(project: Project, fixtures_dir: Path) -> None:
    folder = fixtures_dir / "brat" / "tutorials" / "news"
    report = import_sources(project, [folder])
    assert report.sources[0].format == "brat"  # told by content (--format auto)
    ann_lines = [
        line for f in folder.glob("*.ann") for line in f.read_text("utf-8").splitlines() if line
    ]
    assert report.documents == len(list(folder.glob("*.txt")))
    assert report.spans == sum(line.startswith("T") for line in ann_lines)
    assert report.relations == sum(line.startswith("R") for line in ann_lines)
    documents = {document.meta["source"]: document for document in project.documents(tokens=False)}
    document = next(d for source, d in documents.items() if source.startswith("110"))
    texts = {document.text[s.start : s.end] for s in project.spans(document.id)}
    assert {"Orville Wright", "Wilbur Wright"} <= texts
    assert document.meta["brat"]["notes"][0]["id"] == "#1"
    assert "Family" in project.schema.relation_names


def test_crlf_ann_file_and_a_note_holding_a_tab(tmp_path: Path) -> None:
    pair(tmp_path, "w", TEXT, "T1\tPER 0 10\tBrad Smith\r\n#1\tAnnotatorNotes T1\tsee\tthis\r\n")
    (record,) = read(tmp_path)
    assert [(s.start, s.end, s.label) for s in record.spans] == [(0, 10, "PER")]
    assert record.meta["brat"]["notes"][0]["text"] == "see\tthis"


def test_a_span_holding_a_unicode_line_separator_reads_back(tmp_path: Path) -> None:
    """brat ends lines at newline only; U+2028 or a form feed inside a span is text."""
    text = "Groupe\u2028Renault et \x0cAcme\n"
    ann = "T1\tORG 0 14\tGroupe\u2028Renault\nT2\tORG 18 23\t\x0cAcme\n"
    pair(tmp_path, "doc", text, ann)
    (record,) = read(tmp_path)
    assert [(s.start, s.end, s.label) for s in record.spans] == [(0, 14, "ORG"), (18, 23, "ORG")]


def brat_read_text(path: Path) -> str:
    """The text as brat's server reads it: ``open_textfile(textfn, 'r')`` opens in universal
    newline mode ('rU'), so CRLF and a lone CR each become one LF."""
    with path.open(encoding="utf-8", newline=None) as handle:
        return handle.read()


def brat_spans(ann_path: Path, text: str) -> list[tuple[str, str, str]]:
    """(label, text at brat's offsets, text written on the line), as brat checks a T line."""
    out = []
    for line in ann_path.read_text("utf-8").splitlines():
        if line.startswith("T"):
            _, type_offsets, written = line.split("\t")
            label, offsets = type_offsets.split(" ", 1)
            fragments = [[int(n) for n in part.split()] for part in offsets.split(";")]
            covered = " ".join(text[start:end] for start, end in fragments)
            out.append((label, covered, written))
    return out


CRLF_TEXT = "Brad Smith works\r\nfor Microsoft\r\n\r\nin Redmond.\rOld Mac line.\r\n"


def test_export_offsets_agree_with_brat_on_crlf_text(tmp_path: Path) -> None:
    doc = Document(id=1, text=CRLF_TEXT, status="done", meta={"source": "crlf.txt"})
    words = ["Brad Smith", "Microsoft", "Redmond", "Old Mac line", "works\r\nfor"]
    spans = [
        Span(
            id=f"s{n}", doc_id=1, start=(at := CRLF_TEXT.index(word)), end=at + len(word), label="X"
        )
        for n, word in enumerate(words)
    ]
    registry.write("brat", [ExportDocument(doc, spans, [])], tmp_path / "out")
    text = brat_read_text(tmp_path / "out" / "crlf.txt")
    found = brat_spans(tmp_path / "out" / "crlf.ann", text)
    assert [covered for _, covered, _ in found] == [
        "Brad Smith",
        "works for",
        "Microsoft",
        "Redmond",
        "Old Mac line",
    ]
    assert all(covered == written for _, covered, written in found)
    (back,) = read(tmp_path / "out")
    assert back.text == CRLF_TEXT  # the file's own line ends are kept
    assert sorted((s.start, s.end) for s in back.spans) == sorted((s.start, s.end) for s in spans)


def test_import_of_crlf_text_uses_brat_offsets(tmp_path: Path) -> None:
    """An .ann made by brat on a CRLF text: offsets count each CRLF as one character."""
    brat_text = CRLF_TEXT.replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for n, word in enumerate(["Microsoft", "Redmond", "Old Mac line"], start=1):
        start = brat_text.index(word)
        lines.append(f"T{n}\tX {start} {start + len(word)}\t{word}")
    source = pair(tmp_path / "in", "doc", CRLF_TEXT, "\n".join(lines) + "\n")
    (record,) = read(source)
    assert record.text == CRLF_TEXT
    assert [CRLF_TEXT[s.start : s.end] for s in record.spans] == [
        "Microsoft",
        "Redmond",
        "Old Mac line",
    ]


def test_a_file_that_is_no_txt_or_ann_read_as_brat_is_named_so(tmp_path: Path) -> None:
    """``import -f brat tasks.jsonl`` said 'no tasks.txt beside it'."""
    path = tmp_path / "tasks.jsonl"
    path.write_text('{"text": "a"}\n', encoding="utf-8")
    with pytest.raises(FormatError) as error:
        read(path)
    assert str(error.value) == (
        f"{path}: not brat: brat reads a .txt with its .ann, or a folder of them"
    )


def test_a_plain_text_imports_file_name_names_its_brat_files(tmp_path: Path) -> None:
    """A text imported from a folder keeps its file in ``meta.file``: its brat files were
    named ``doc-1`` before."""
    docs = [
        Document(id=1, text="Brad Smith.", meta={"file": "2024/000_e18a1e49.txt"}),
        Document(id=2, text="Microsoft.", meta={"file": "2024/000_e18a1e49.txt", "paragraph": 2}),
        Document(id=3, text="Redmond.", meta={"source": "a.txt", "file": "b.txt"}),
    ]
    registry.write("brat", [ExportDocument(doc, [], []) for doc in docs], tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.txt")) == [
        "000_e18a1e49-2.txt",
        "000_e18a1e49.txt",
        "a.txt",
    ]
