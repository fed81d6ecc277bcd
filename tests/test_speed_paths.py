"""The bulk paths of import and export keep what the per-object paths did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.errors import FormatError, ValidationError
from annotator.io.doccano import read_doccano
from annotator.io.tokenize import tokenize, tokenize_for_store
from annotator.model import Document, Relation, Span, TokenBoundaries, new_ids
from annotator.model.document import decode_offsets, encode_offsets, offsets_json
from annotator.store import Project


def test_tokens_for_the_store_are_the_offsets_the_store_reads() -> None:
    texts = ["Brad Smith, président de Microsoft.", "  deux  espaces ", "a"]
    for tokens, (encoded, bounds) in zip(
        tokenize("fr", texts), tokenize_for_store("fr", texts), strict=True
    ):
        assert decode_offsets(encoded) == tokens
        assert offsets_json(encoded) == json.dumps(tokens, separators=(",", ":"))
        assert len(encoded) == 8 * len(tokens)  # two unsigned 32-bit numbers a token
        assert bounds.starts == TokenBoundaries(tokens).starts
        assert bounds.ends == TokenBoundaries(tokens).ends
    assert encode_offsets([], []) == b"" and decode_offsets(b"") == ()
    assert encode_offsets([0, 70_000], [4, 1_000_000]) == bytes.fromhex(
        "00000000040000007011010040420f00"  # little-endian, whatever the machine
    )


def test_bulk_ids_are_distinct_hex() -> None:
    ids = new_ids(10_000)
    assert len(set(ids)) == 10_000
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in ids)


def test_spans_read_from_the_store_equal_validated_ones(project: Project) -> None:
    doc_id, _ = project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
    span = Span(doc_id=doc_id, start=0, end=10, label="PER", score=0.5, edited=True)
    other = Span(doc_id=doc_id, start=0, end=4, label="PER")
    relation = Relation(doc_id=doc_id, head=span.id, child=other.id, label="works_for")
    project.set_schema(project.schema.with_labels({"PER"}, {"works_for": {("PER", "PER")}}))
    project.add_spans([span, other])
    project.add_relations([relation])
    assert project.span(span.id) == span
    as_before = Span.model_construct(**span.model_dump())  # how the store made them before
    assert project.span(span.id).model_fields_set == as_before.model_fields_set
    assert repr(project.span(span.id)) == repr(as_before)
    assert project.relations(doc_id) == [relation]


def test_span_rows_use_the_boundaries_given(project: Project) -> None:
    doc_id, _ = project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
    project.set_schema(project.schema.with_labels({"PER"}, {}))
    one_token = TokenBoundaries(((0, 10),))
    rows = [("a" * 32, doc_id, 0, 4, "PER", "human", "accepted", None, False)]
    assert project.add_span_rows(rows, {doc_id: one_token}) == (1, 1)
    assert project.misaligned_span_ids(doc_id) == ["a" * 32]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("b" * 32, 1, 4, 4, "PER", "human", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, -1, 4, "PER", "human", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, "0", 4, "PER", "human", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, 0, 4.0, "PER", "human", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, 0, 4, "PER", "human", "maybe", None, False), "not a valid span"),
        (("b" * 32, 1, 0, 4, "", "human", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, 0, 4, "PER", "", "accepted", None, False), "not a valid span"),
        (("b" * 32, 1, 0, 40, "PER", "human", "accepted", None, False), "runs past the end"),
        (("b" * 32, 1, 0, 4, "WORK", "human", "accepted", None, False), "not in the schema"),
        (("b" * 32, 2, 0, 4, "PER", "human", "accepted", None, False), "no document 2"),
    ],
)
def test_span_rows_are_checked(project: Project, row: tuple, message: str) -> None:
    """Each is refused alone, and after many good rows: nothing of the call is kept."""
    project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
    project.set_schema(project.schema.with_labels({"PER"}, {}))
    with pytest.raises(ValidationError, match=message):
        project.add_span_rows([row])
    good = [(f"{n:032x}", 1, 0, 4, "PER", "human", "accepted", None, False) for n in range(50)]
    with pytest.raises(ValidationError, match=message):
        project.add_span_rows([*good, row, *good[:1]])
    assert project.spans(1) == []


def test_span_rows_with_and_without_a_status_reason(project: Project) -> None:
    project.add_document(Document(text="Brad Smith", tokens=((0, 4), (5, 10))))
    rows = [
        ("a" * 32, 1, 0, 4, "PER", "rule:r", "rejected", None, False, "superseded"),
        ("b" * 32, 1, 5, 10, "PER", "rule:r", "rejected", None, False),
    ]
    assert project.add_span_rows(rows) == (2, 0)
    stored = project.db.execute("SELECT status_reason FROM spans ORDER BY rowid").fetchall()
    assert stored == [("superseded",), (None,)]


def test_a_rolled_back_document_leaves_no_length_behind(project: Project) -> None:
    """The store remembers the lengths of the texts it adds, for their spans: a document
    rolled back frees its id, and the next one with that id has its own text's length."""
    long_text = "Brad Smith travaille chez Microsoft à Redmond."
    with pytest.raises(RuntimeError), project.transaction():
        project.add_document_rows([(long_text, "h1", "{}", "new", None)])
        raise RuntimeError("stop")
    doc_id, _ = project.add_document(Document(text="Brad"))
    past_its_end = ("c" * 32, doc_id, 0, 10, "PER", "human", "accepted", None, False)
    with pytest.raises(ValidationError, match="runs past the end of its text \\(4 characters"):
        project.add_span_rows([past_its_end])


def test_relation_rows_check_the_spans_the_caller_added(project: Project) -> None:
    """Spans given as added (an import's batch) are not read back, and still checked: in
    the relation's document, with a pair of labels the schema allows."""
    project.add_document_rows([("Brad Smith chez Acme", "h1", "{}", "new", None)])
    project.add_document_rows([("Autre texte", "h2", "{}", "new", None)])
    project.set_schema(project.schema.with_labels({"PER", "ORG"}, {"works_for": {("PER", "ORG")}}))
    spans = [
        ("a" * 32, 1, 0, 10, "PER", "human", "accepted", None, False),
        ("b" * 32, 1, 16, 20, "ORG", "human", "accepted", None, False),
    ]
    project.add_span_rows(spans)
    added = {"a" * 32: (1, "PER"), "b" * 32: (1, "ORG")}

    def relation(head: str, child: str, doc_id: int = 1) -> tuple:
        return ("r" * 32, doc_id, head, child, "works_for", "human", "accepted", None)

    with pytest.raises(ValidationError, match="not allowed|allows"):
        project.add_relation_rows([relation("b" * 32, "a" * 32)], added_spans=added)
    with pytest.raises(ValidationError, match="is in document 1, not 2"):
        project.add_relation_rows([relation("a" * 32, "b" * 32, 2)], added_spans=added)
    assert project.add_relation_rows([relation("a" * 32, "b" * 32)], added_spans=added) == 1
    assert [(r.head, r.child) for r in project.relations(1)] == [("a" * 32, "b" * 32)]


def test_doccano_jsonl_is_read_line_by_line_with_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"text": f"texte {n}", "label": [[0, 5, "X"]]}) for n in range(3)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n\r\n".join(lines).encode() + b"\r\n")
    records = list(read_doccano(path))
    assert [(r.where, r.text) for r in records] == [(1, "texte 0"), (3, "texte 1"), (5, "texte 2")]


def test_doccano_bad_line_and_bad_bytes_are_named(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n{"text": \n')
    with pytest.raises(FormatError, match=r"a.jsonl:2: not valid JSON"):
        list(read_doccano(path))
    path.write_bytes(b'{"text": "a"}\n{"text": "\xff"}\n')
    with pytest.raises(FormatError, match=r"not utf-8-sig \(byte 24\)"):
        list(read_doccano(path))


def test_conll_tags_are_spacys_for_every_entity_layout() -> None:
    import random

    import spacy
    from spacy.training import offsets_to_biluo_tags
    from spacy.util import filter_spans

    from annotator.io.conll import _biluo_tags

    nlp = spacy.blank("fr")
    rng = random.Random(3)
    for _ in range(300):
        words = (rng.choice(["Brad", "Smith", ",", "à\n", "  "]) for _ in range(12))
        doc = nlp.make_doc(" ".join(words))
        spans = []
        for _ in range(rng.randint(0, 6)):
            start = rng.randrange(len(doc))
            spans.append(doc[start : rng.randint(start + 1, len(doc))])
        for span in spans:
            span.label_ = rng.choice(["PER", "ORG"])
        entities = filter_spans(spans)
        offsets = [(s.start_char, s.end_char, s.label_) for s in entities]
        assert _biluo_tags(len(doc), entities) == offsets_to_biluo_tags(doc, offsets)
