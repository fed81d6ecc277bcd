"""spaCy DocBin reader: entities, span groups, ``doc._.rel`` relations, damaged files."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from annotator.errors import FormatError
from annotator.io.docbin import ensure_rel_extension, read_docbin, sniff_docbin

TEXT = "Brad Smith works for Microsoft in Redmond ."


def make_doc(rel: dict | None = None) -> Doc:
    nlp = spacy.blank("en")
    doc = nlp(TEXT)
    doc.ents = [doc.char_span(0, 10, "PER"), doc.char_span(21, 30, "ORG")]
    doc.spans["sc"] = [
        doc.char_span(0, 10, "PER"),
        doc.char_span(21, 30, "ORG"),
        doc.char_span(21, 41, "ORG"),  # overlaps the ORG entity
    ]
    doc.spans["places"] = [doc.char_span(34, 41, "LOC")]
    doc.cats = {"TECH": 1.0}
    if rel is not None:
        ensure_rel_extension()
        doc._.rel = rel
    return doc


def write(tmp_path: Path, *docs: Doc) -> Path:
    path = tmp_path / "train.spacy"
    DocBin(store_user_data=True, docs=docs).to_disk(path)
    return path


def test_entities_and_every_span_group_become_one_set_of_spans(tmp_path: Path) -> None:
    [record] = read_docbin(write(tmp_path, make_doc()))
    assert record.text == TEXT
    assert record.where == "document 1"
    assert sorted((s.start, s.end, s.label, s.status) for s in record.spans) == [
        (0, 10, "PER", "accepted"),
        (21, 30, "ORG", "accepted"),
        (21, 41, "ORG", "accepted"),
        (34, 41, "LOC", "accepted"),
    ]
    groups = record.meta["spacy"]["span_groups"]
    assert groups["places"] == [[34, 41, "LOC"]]
    assert len(groups["sc"]) == 3
    assert record.meta["spacy"]["cats"] == {"TECH": 1.0}
    assert record.tokens[:3] == ((0, 4), (5, 10), (11, 16))


def test_rel_scores_of_half_or_more_become_relations(tmp_path: Path) -> None:
    rel = {(0, 4): {"works_for": 1.0, "located_in": 0.0}, (4, 0): {"works_for": 0.2}}
    [record] = read_docbin(write(tmp_path, make_doc(rel)))
    spans = {span.key: (span.start, span.end) for span in record.spans}
    assert [(spans[r.head], spans[r.child], r.label) for r in record.relations] == [
        ((0, 10), (21, 30), "works_for")
    ]


def test_rel_on_a_token_that_starts_no_entity_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, make_doc(), make_doc({(2, 4): {"works_for": 1.0}}))
    with pytest.raises(FormatError) as error:
        list(read_docbin(path))
    assert str(error.value) == (
        f"{path} (document 2): doc._.rel head token 2 is not the start of an entity"
    )


def test_damaged_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.spacy"
    path.write_bytes(b"not a docbin at all")
    with pytest.raises(FormatError, match=r"broken\.spacy: not a spaCy DocBin"):
        list(read_docbin(path))
    assert sniff_docbin(path, b"")
    assert not sniff_docbin(tmp_path / "a.jsonl", b'{"text": "x"}')


def test_a_folder_of_docbins_as_export_writes_it(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    DocBin(docs=[make_doc()]).to_disk(tmp_path / "out" / "train.spacy")
    other = make_doc()
    DocBin(docs=[other, other]).to_disk(tmp_path / "out" / "dev.spacy")
    assert sniff_docbin(tmp_path / "out", b"")
    found = list(read_docbin(tmp_path / "out"))
    assert [(r.meta["file"], r.where) for r in found] == [
        ("dev.spacy", "dev.spacy, document 1"),
        ("dev.spacy", "dev.spacy, document 2"),
        ("train.spacy", "train.spacy, document 1"),
    ]
    (tmp_path / "empty").mkdir()
    assert not sniff_docbin(tmp_path / "empty", b"")
    with pytest.raises(FormatError, match="no .spacy file in this folder"):
        list(read_docbin(tmp_path / "empty"))


def test_an_empty_spacy_file_is_called_empty(tmp_path: Path) -> None:
    """It was 'not a spaCy DocBin (Unpack failed: incomplete input)'."""
    path = tmp_path / "train.spacy"
    path.write_bytes(b"")
    with pytest.raises(FormatError) as error:
        list(read_docbin(path))
    assert str(error.value) == f"{path}: the file is empty; nothing to import"
