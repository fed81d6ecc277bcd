"""The ``spacy`` export: DocBin files that ``spacy train`` reads as they are.

- ``doc.spans[KEY]`` holds every exported span (KEY: the project's ``spans_key``, ``sc``).
- ``doc.ents`` holds the entities picked from them by ``spacy.util.filter_spans``: the longest
  span (in tokens) first, then the earliest, then the first label in alphabetical order; a span
  overlapping one already picked stays in ``doc.spans`` only, and is counted.
- ``doc._.rel`` holds the relations as explosion's ``rel_component`` tutorial trains on them:
  ``{(head_first_token, child_first_token): {label: 1.0}}``; in a finished (``done``) document
  every other relation label is 0.0 for every ordered pair of distinct span starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.tokens import DocBin
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from annotator.io.alignment import DocBuilder, MisalignedPolicy, align_spans, relations_kept
from annotator.io.docbin import ensure_rel_extension
from annotator.io.records import ExportDocument, ExportReport
from annotator.io.registry import part_path, register_writer
from annotator.model import LabelSchema, ProjectSettings

Relations = dict[tuple[int, int], dict[str, float]]


def unique_spans(spans: Iterable[SpacySpan]) -> list[SpacySpan]:
    """One spaCy span per (tokens, label): two annotations of the same thing train once."""
    seen: dict[tuple[int, int, str], SpacySpan] = {}
    for span in spans:
        seen.setdefault((span.start, span.end, span.label_), span)
    return list(seen.values())


def relations_of(
    pairs: Iterable[tuple[SpacySpan, SpacySpan, str]],
    spans: list[SpacySpan],
    labels: Iterable[str],
    complete: bool,
) -> Relations:
    """The ``doc._.rel`` dict; ``complete`` (a finished document) adds the 0.0 labels."""
    relations: Relations = {}
    for head, child, label in pairs:
        relations.setdefault((head.start, child.start), {})[label] = 1.0
    if complete:
        starts = sorted({span.start for span in spans})
        labels = tuple(labels)
        for head_start in starts:
            for child_start in starts:
                if head_start != child_start:
                    scores = relations.setdefault((head_start, child_start), {})
                    for label in labels:
                        scores.setdefault(label, 0.0)
    return relations


@register_writer("spacy", suffix=".spacy", description="spaCy DocBin: train.spacy / dev.spacy")
def write_docbin(
    documents: Iterable[ExportDocument],
    output: Path,
    *,
    part: str | None,
    schema: LabelSchema,
    settings: ProjectSettings,
    spans_key: str,
    misaligned: MisalignedPolicy,
    report: ExportReport,
    **_: Any,
) -> ExportReport:
    """Write one DocBin (``store_user_data=True`` so that ``doc._.rel`` is kept)."""
    ensure_rel_extension()
    builder = DocBuilder(settings.lang)
    doc_bin = DocBin(store_user_data=True)
    for item in documents:
        document = item.document
        doc = builder.make(document)
        aligned = align_spans(doc, document, item.spans, misaligned, report)
        exported = [s for _, s in aligned.kept(item.spans)]
        spans = unique_spans(exported)
        doc.spans[spans_key] = spans
        doc.ents = filter_spans(spans)
        _count(report, "duplicate_spans_merged", len(exported) - len(spans))
        _count(report, "overlaps_spans_only", len(spans) - len(doc.ents))
        kept = relations_kept(document, item.relations, aligned, report)
        doc._.rel = relations_of(
            ((head, child, relation.label) for relation, head, child in kept),
            spans,
            schema.relation_names,
            complete=document.status == "done",
        )
        doc_bin.add(doc)
        report.spans += len(spans)
        report.relations += len(kept)
    target = part_path(output, part, ".spacy")
    target.parent.mkdir(parents=True, exist_ok=True)
    doc_bin.to_disk(target)
    report.files.append(str(target))
    return report


def _count(report: ExportReport, key: str, n: int) -> None:
    if n:
        report.count(key, n)
