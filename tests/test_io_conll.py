"""CoNLL / IOB: the Europeana corpus, doccano's CoNLL files, tag schemes, and the export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.errors import ExportError, FormatError
from annotator.io import registry
from annotator.io.records import ExportDocument, ImportRecord
from annotator.model import Document, Relation, Span


def read(path: Path, **options: object) -> list[ImportRecord]:
    return list(registry.read(path, "conll", **options))


def write_file(tmp_path: Path, text: str, name: str = "in.conll") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def entities(record: ImportRecord) -> list[tuple[str, str]]:
    return [(record.text[s.start : s.end], s.label) for s in record.spans]


def test_europeana_without_sentence_breaks_is_cut_at_sentence_ends(fixtures_dir: Path) -> None:
    path = fixtures_dir / "conll" / "fr_europeana_bnf_first2000.bio"
    lines = path.read_text("utf-8").splitlines()
    records = read(path)
    # every token kept, in order, as the documents' tokens
    words = [w for r in records for w in (r.text[s:e] for s, e in r.tokens)]
    assert words == [line.split()[0] for line in lines]
    # documents of at least 500 tokens (but the last), each ending at a sentence end
    assert all(len(r.tokens) >= 500 for r in records[:-1])
    assert all(r.text.rstrip().endswith((".", "!", "?", "…")) for r in records[:-1])
    assert records[0].meta["conll"] == {"scheme": "IOB1", "line": 1}
    assert entities(records[0])[:3] == [
        ("Emmanuel DESOLES", "PER"),
        ("Rue du Pré-Botté", "LOC"),
        ("RENNES", "LOC"),
    ]
    # IOB1: each run of I- tags of one label is one entity
    runs = 0
    previous = "O"
    for line in lines:
        tag = line.split()[-1]
        if tag != "O" and tag != previous:
            runs += 1
        previous = tag
    assert sum(len(r.spans) for r in records) == runs


def test_smaller_documents_on_request(fixtures_dir: Path) -> None:
    path = fixtures_dir / "conll" / "fr_europeana_bnf_first2000.bio"
    assert len(read(path, tokens_per_document=100)) > len(read(path))


def test_doccano_conll_files(fixtures_dir: Path) -> None:
    folder = fixtures_dir / "doccano"
    (record,) = read(folder / "import_tests/sequence_labeling/example.conll")
    assert record.text == "JAPAN GET\nNadim Ladki"
    assert entities(record) == [("JAPAN", "LOC"), ("Nadim Ladki", "PER")]
    (trailing,) = read(folder / "import_tests/sequence_labeling/labeling.trailing.conll")
    assert entities(trailing) == [("JAPAN", "LOC"), ("CHINA", "PER")]
    (example,) = read(folder / "import_examples/sequence_labeling/example.txt")
    assert entities(example)[-1] == ("Peter Blackburn", "PER")


def test_invalid_doccano_conll_is_refused_naming_the_line(fixtures_dir: Path) -> None:
    path = fixtures_dir / "doccano/import_tests/sequence_labeling/labeling.invalid.conll"
    with pytest.raises(FormatError, match=r"labeling\.invalid\.conll:1: 'SOCCERO' is not a tag"):
        read(path)


def test_iob1_and_iob2_give_the_same_entities(tmp_path: Path) -> None:
    iob1 = "Brad I-PER\nSmith I-PER\nJohn B-PER\nmet O\nParis I-LOC\n"
    iob2 = "Brad B-PER\nSmith I-PER\nJohn B-PER\nmet O\nParis B-LOC\n"
    (one,) = read(write_file(tmp_path, iob1, "one.bio"))
    (two,) = read(write_file(tmp_path, iob2, "two.bio"))
    expected = [("Brad Smith", "PER"), ("John", "PER"), ("Paris", "LOC")]
    assert entities(one) == entities(two) == expected
    assert (one.meta["conll"]["scheme"], two.meta["conll"]["scheme"]) == ("IOB1", "IOB2")


def test_biluo_and_iobes(tmp_path: Path) -> None:
    (biluo,) = read(write_file(tmp_path, "Brad B-PER\nSmith L-PER\nin O\nParis U-LOC\n"))
    (iobes,) = read(write_file(tmp_path, "Brad B-PER\nSmith E-PER\nin O\nParis S-LOC\n", "e.bio"))
    assert entities(biluo) == entities(iobes) == [("Brad Smith", "PER"), ("Paris", "LOC")]
    with pytest.raises(FormatError, match=r"bad\.conll:1: not a valid BILUO"):
        read(write_file(tmp_path, "Brad B-PER\nin O\nParis U-LOC\n", "bad.conll"))


def test_docstart_splits_documents_and_blank_lines_sentences(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n\n"
        "-DOCSTART- -X- -X- O\n\nParis NNP B-NP B-LOC\n"
    )
    records = read(write_file(tmp_path, text))
    assert [r.text for r in records] == ["EU rejects\nPeter", "Paris"]
    assert [r.where for r in records] == [3, 10]
    assert [entities(r) for r in records] == [[("EU", "ORG"), ("Peter", "PER")], [("Paris", "LOC")]]
    assert records[0].tokens == ((0, 2), (3, 10), (11, 16))


def test_without_docstart_sentences_are_grouped(tmp_path: Path) -> None:
    text = "A O\nB O\n\nC O\nD O\n\nE O\n"
    assert [r.text for r in read(write_file(tmp_path, text), tokens_per_document=3)] == [
        "A B\nC D",
        "E",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Paris B-LOC\nalone\n", "in.conll:2: expected 'token TAG'"),
        ("Paris LOC\n", "in.conll:1: 'LOC' is not a tag"),
    ],
)
def test_bad_lines_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read(write_file(tmp_path, text))


def _document() -> ExportDocument:
    text = "Brad Smith works for Microsoft Corporation .\nHe lives in Redmond , Washington ."
    tokens = tuple((m.start(), m.end()) for m in re.finditer(r"\S+", text))
    doc = Document(id=1, text=text, tokens=tokens, status="done")
    spans = [
        Span(id="per", doc_id=1, start=0, end=10, label="PER"),
        Span(id="org", doc_id=1, start=21, end=42, label="ORG"),
        Span(id="loc", doc_id=1, start=57, end=64, label="LOC"),
        Span(id="loc2", doc_id=1, start=67, end=77, label="LOC"),
        Span(id="first", doc_id=1, start=0, end=4, label="PER"),  # overlaps "Brad Smith"
    ]
    relations = [Relation(doc_id=1, head="per", child="org", label="works_for")]
    return ExportDocument(doc, spans, relations)


def test_the_spans_left_out_are_reported_in_the_same_order_every_run(tmp_path: Path) -> None:
    """Spans with the same offsets were warned about in a set's order, which depends on the
    process's string hashing: the report differed from one run to the next."""
    item = _document()
    labels = "ABCDEFGH"
    item.spans.extend(
        Span(id=f"x{label}", doc_id=1, start=0, end=4, label=label) for label in labels
    )
    report = registry.write("conll", [item], tmp_path / "out.conll")
    left_out = [w.split(") ", 1)[1][0] for w in report.warnings if "[0, 4)" in w]
    assert left_out == sorted(left_out) == ["A", "B", "C", "D", "E", "F", "G", "H", "P"]


def test_a_span_expanded_onto_another_is_counted_as_left_out(tmp_path: Path) -> None:
    """``Bra`` expanded to the token ``Brad`` is the same tag as the span ``Brad``: one of the
    two was dropped without a word, and the report's counts did not add up."""
    item = _document()
    item.spans.append(Span(id="bra", doc_id=1, start=0, end=3, label="PER"))
    report = registry.write("conll", [item], tmp_path / "out.conll", misaligned="expand")
    assert report.counts["misaligned_expanded"] == 1
    assert report.spans + report.counts["overlapping_removed"] == len(item.spans)
    assert sum("[0, 4) PER 'Brad'" in warning for warning in report.warnings) == 2


@pytest.mark.parametrize("format", ["conll", "conll-biluo"])
def test_export_reads_back_as_the_same_spans(tmp_path: Path, format: str) -> None:
    item = _document()
    output = tmp_path / "out.conll"
    report = registry.write(format, [item], output)
    assert report.files == [str(output)]
    assert report.counts["overlapping_removed"] == 1
    assert report.counts["relations_not_in_conll"] == 1
    assert any("[0, 4) PER 'Brad'" in warning for warning in report.warnings)
    (back,) = read(output)
    assert back.text == item.document.text  # space-separated tokens, one sentence per line
    assert back.tokens == item.document.tokens
    expected = sorted((s.start, s.end, s.label) for s in item.spans if s.id != "first")
    assert sorted((s.start, s.end, s.label) for s in back.spans) == expected
    tags = {line.split()[1] for line in output.read_text().splitlines() if line.strip()}
    assert ("L-ORG" in tags) == (format == "conll-biluo")


def test_export_of_untokenised_text_reports_misaligned_spans(tmp_path: Path) -> None:
    text = "Brad Smith works for Microsoft."
    item = ExportDocument(
        Document(id=2, text=text),
        [Span(id="s", doc_id=2, start=0, end=7, label="PER")],  # "Brad Sm"
        [],
    )
    report = registry.write("conll", [item], tmp_path / "a.conll", misaligned="skip")
    assert report.counts == {"misaligned_skipped": 1}
    assert not read(tmp_path / "a.conll")[0].spans
    report = registry.write("conll", [item], tmp_path / "b.conll", misaligned="expand")
    assert report.counts == {"misaligned_expanded": 1}
    (back,) = read(tmp_path / "b.conll")
    assert entities(back) == [("Brad Smith", "PER")]
    assert back.text == "Brad Smith works for Microsoft ."


def test_export_into_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="writes one file"):
        registry.write("conll", [_document()], tmp_path)


@pytest.mark.parametrize("format", ["conll", "conll-biluo"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_span_with_a_line_break_at_an_end_is_tagged_from_its_words(
    tmp_path: Path, format: str, newline: str
) -> None:
    """'\\nParis' was tagged on the line break, which is not written: 'Paris I-LOC' with no B-
    before it, and 'Jean Dupont\\n' in BILUO 'B-PER I-PER' with no L-, which spaCy's reader
    drops; with CRLF our own import refused the file."""
    from spacy.training import biluo_tags_to_spans, iob_to_biluo
    from spacy.vocab import Vocab

    text = f"Jean Dupont{newline}Paris est belle.{newline}{newline}Lyon aussi."
    paris, lyon = text.index("Paris"), text.index("Lyon")
    tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+|\s+", text)]
    spans = [
        Span(id="a", doc_id=1, start=paris - len(newline), end=paris + 5, label="LOC"),
        Span(id="b", doc_id=1, start=0, end=11 + len(newline), label="PER"),
        Span(id="c", doc_id=1, start=lyon - 2 * len(newline), end=lyon + 4, label="LOC"),
    ]
    item = ExportDocument(Document(id=1, text=text, tokens=tokens), spans, [])
    output = tmp_path / "out.conll"
    report = registry.write(format, [item], output)
    lines = [line.split() for line in output.read_text().splitlines()[1:] if line.strip()]
    words, tags = [word for word, _ in lines], [tag for _, tag in lines]
    biluo = tags if format == "conll-biluo" else iob_to_biluo(tags)
    from spacy.tokens import Doc

    found = biluo_tags_to_spans(Doc(Vocab(), words=words), biluo)  # raises on a bad sequence
    assert [(span.text, span.label_) for span in found] == [
        ("Jean Dupont", "PER"),
        ("Paris", "LOC"),
        ("Lyon", "LOC"),
    ]
    (back,) = read(output)
    assert entities(back) == [("Jean Dupont", "PER"), ("Paris", "LOC"), ("Lyon", "LOC")]
    assert report.spans == 3 and report.counts == {"whitespace_trimmed": 3}
    assert report.warnings[0] == (
        f"document 1: span [{paris - len(newline)}, {paris + 5}) LOC {newline + 'Paris'!r} "
        f"begins or ends with white space; written as [{paris}, {paris + 5}) 'Paris'"
    )
