"""Spans off token boundaries at export: named, then expanded, contracted or skipped."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from annotator.io.alignment import _words_and_spaces, words_and_spaces
from annotator.model import Document, Relation, Span
from annotator.services.exporting import export_project
from annotator.store import Project

TEXT = "Brad Smith works for Microsoft in Redmond."
TOKENS = ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42))


@pytest.fixture
def misaligned(project: Project) -> Project:
    """ "rad Smi" (inside two tokens) and "Microsoft in Red", with a relation between them."""
    doc_id, _ = project.add_document(Document(text=TEXT, tokens=TOKENS, status="done"))
    person = Span(doc_id=doc_id, start=1, end=8, label="PER")
    company = Span(doc_id=doc_id, start=21, end=37, label="ORG")
    place = Span(doc_id=doc_id, start=34, end=41, label="LOC")
    project.add_spans([person, company, place])
    project.add_relations(
        [Relation(doc_id=doc_id, head=person.id, child=company.id, label="works_for")]
    )
    return project


def _prodigy_spans(path: Path) -> list[tuple[str, str]]:
    (task,) = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [(span["text"], span["label"]) for span in task["spans"]]


def test_expand_grows_to_the_tokens_and_names_each_span(
    misaligned: Project, tmp_path: Path
) -> None:
    report = export_project(misaligned, "prodigy", tmp_path / "out.jsonl", misaligned="expand")
    assert _prodigy_spans(tmp_path / "out.jsonl") == [
        ("Brad Smith", "PER"),
        ("Microsoft in Redmond", "ORG"),
        ("Redmond", "LOC"),
    ]
    assert report.counts["misaligned_expanded"] == 2
    assert report.relations == 1
    assert any("document 1: span [1, 8) PER 'rad Smi'" in w for w in report.warnings)
    assert any("[21, 37) ORG 'Microsoft in Red'" in w and "[21, 41)" in w for w in report.warnings)


def test_contract_shrinks_and_skips_what_has_no_whole_token(
    misaligned: Project, tmp_path: Path
) -> None:
    report = export_project(misaligned, "prodigy", tmp_path / "out.jsonl", misaligned="contract")
    assert _prodigy_spans(tmp_path / "out.jsonl") == [
        ("Microsoft in", "ORG"),
        ("Redmond", "LOC"),
    ]
    assert report.counts["misaligned_contracted"] == 1
    assert report.counts["misaligned_skipped"] == 1
    assert report.counts["relations_skipped"] == 1
    assert report.relations == 0
    assert any("[1, 8) PER 'rad Smi'" in w and "skipped" in w for w in report.warnings)


def test_skip_leaves_misaligned_spans_out_of_the_docbin(
    misaligned: Project, tmp_path: Path
) -> None:
    report = export_project(misaligned, "spacy", tmp_path / "out", split=(1.0,), misaligned="skip")
    (doc,) = DocBin().from_disk(tmp_path / "out" / "train.spacy").get_docs(spacy.blank("fr").vocab)
    assert [(e.text, e.label_) for e in doc.ents] == [("Redmond", "LOC")]
    assert report.counts["misaligned_skipped"] == 2
    assert report.counts["relations_skipped"] == 1
    assert len([w for w in report.warnings if "not on token boundaries" in w]) == 2


def test_unknown_policy_is_refused(misaligned: Project, tmp_path: Path) -> None:
    from annotator.errors import ExportError

    with pytest.raises(ExportError, match="--misaligned"):
        export_project(misaligned, "spacy", tmp_path / "out", misaligned="drop")


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("a  b", ((0, 1), (3, 4))),
        ("  a\n", ((2, 3),)),
        ("a b", ((0, 1), (2, 3))),
        ("ab", ((0, 1), (1, 2))),
        ("x = y", ((0, 1), (4, 5))),
        ("no tokens", ()),
    ],
)
def test_words_and_spaces_rebuild_the_text(text: str, tokens: tuple) -> None:
    words, spaces = words_and_spaces(text, tokens)
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text


def test_words_and_spaces_of_plain_texts_are_those_of_any_text() -> None:
    """The comprehensions for the usual text give what the step-by-step path gives, on random
    texts of words, single and double spaces, line ends and tabs, with tokens of whitespace,
    leading and trailing gaps, and untokenized stretches."""
    rng = random.Random(7)
    pieces = ["mot", "Paris", "l'", ",", " ", " ", " ", "  ", "\n", " \n", "\t", "_"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 10))))
        tokens = tuple(
            (start, end)
            for start, end in zip(cuts[::2], cuts[1::2], strict=False)
            if start < end and (rng.random() < 0.8 or not text[start:end].isspace())
        )
        assert words_and_spaces(text, tokens) == _words_and_spaces(text, tokens), (text, tokens)


def test_expanding_a_span_that_starts_on_a_space_says_it_shrank(tmp_path: Path) -> None:
    """' Redmond' (its first character a space) came out as 'Redmond', and the report said
    'expanded to' the shorter span."""
    from annotator.io import registry
    from annotator.io.records import ExportDocument
    from annotator.model import Document, Span

    text = "Brad Smith works in Redmond."
    tokens = ((0, 4), (5, 10), (11, 16), (17, 19), (20, 27), (27, 28))
    item = ExportDocument(
        Document(id=4, text=text, tokens=tokens),
        [Span(id="s", doc_id=4, start=19, end=27, label="LOC")],
        [],
    )
    report = registry.write("conll", [item], tmp_path / "out.conll", misaligned="expand")
    assert report.warnings == [
        "document 4: span [19, 27) LOC ' Redmond' is not on token boundaries; contracted to "
        "[20, 27) 'Redmond'"
    ]
    assert report.counts == {"misaligned_expanded": 1}
