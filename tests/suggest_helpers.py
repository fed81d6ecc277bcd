"""Shared set-up for the suggestion tests: projects of small texts, tokenised like an import."""

from __future__ import annotations

import os
from pathlib import Path

import spacy

from annotator.model import Document, Relation, Span, default_schema
from annotator.model.settings import DEFAULT_LABEL_MAP
from annotator.store import Project
from annotator.suggest.patterns import read_pattern_file
from annotator.suggest.pipelines import load_pipeline
from annotator.suggest.suggester import Suggester

_TOKENIZERS: dict[str, spacy.language.Language] = {}


def add_texts(project: Project, texts: list[str], lang: str = "fr") -> list[int]:
    """Add documents with tokens from ``spacy.blank(lang)``, as the importer stores them."""
    nlp = _TOKENIZERS.setdefault(lang, spacy.blank(lang))
    ids = []
    for text in texts:
        tokens = tuple((t.idx, t.idx + len(t)) for t in nlp.make_doc(text))
        doc_id, _ = project.add_document(Document(text=text, tokens=tokens))
        ids.append(doc_id)
    return ids


def write_patterns(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pattern_suggester(
    lang: str, files: list[Path], label_map: dict[str, str] | None = None
) -> Suggester:
    """A suggester over ``spacy.blank(lang)`` with these pattern files and the default schema."""
    return Suggester(
        pipeline=load_pipeline("blank", lang),
        schema=default_schema(),
        label_map=DEFAULT_LABEL_MAP if label_map is None else label_map,
        pattern_files=[read_pattern_file(path) for path in files],
    )


def exiting_suggester(patterns: Path, deadly: str) -> Suggester:
    """A pattern suggester whose process ends at once on the document whose text is
    ``deadly``: a worker process killed, or out of memory."""
    suggester = pattern_suggester("fr", [patterns])
    suggest_doc = suggester.suggest_doc

    def suggest_or_exit(doc, document, owned=None):  # type: ignore[no-untyped-def]
        if document.text == deadly:
            os._exit(1)
        return suggest_doc(doc, document, owned)

    suggester.suggest_doc = suggest_or_exit  # type: ignore[method-assign]
    return suggester


def covered(project: Project, span: Span) -> str:
    return project.document(span.doc_id).text[span.start : span.end]


def described_spans(project: Project, doc_id: int) -> set[tuple[str, str, str, str]]:
    """(text, label, origin, status) of each span of a document."""
    return {(covered(project, s), s.label, s.origin, s.status) for s in project.spans(doc_id)}


def described_relations(project: Project, doc_id: int) -> set[tuple[str, str, str, str, str]]:
    """(head text, label, child text, origin, status) of each relation of a document."""
    spans = {s.id: s for s in project.spans(doc_id)}
    return {
        (
            covered(project, spans[r.head]),
            r.label,
            covered(project, spans[r.child]),
            r.origin,
            r.status,
        )
        for r in project.relations(doc_id)
    }


def snapshot(project: Project) -> tuple[list[Span], list[Relation], list[str]]:
    """Everything suggestions may change: spans and relations (ids included), statuses."""
    spans, relations, statuses = [], [], []
    for doc_id in project.document_ids():
        spans += project.spans(doc_id)
        relations += project.relations(doc_id)
        statuses.append(project.document_status(doc_id))
    return spans, relations, statuses


ENTITY_PATTERNS = [
    '{"label": "ORG", "pattern": "Microsoft"}',
    '{"label": "ORG", "pattern": [{"LOWER": "wsj"}]}',
    '{"label": "PER", "pattern": [{"LOWER": "brad"}, {"LOWER": "smith"}]}',
    '{"label": "PER", "pattern": [{"LOWER": "satya"}, {"LOWER": "nadella"}]}',
    '{"label": "GPE", "pattern": [{"LOWER": "chine"}]}',
    '{"label": "DRUG", "pattern": [{"LOWER": "cocaïne"}]}',
]
