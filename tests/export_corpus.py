"""Small annotated documents for the export tests (not a test module)."""

from __future__ import annotations

from annotator.model import Document, Relation, Span
from annotator.model.document import DocumentStatus
from annotator.store import Project

TEXT = "Brad Smith works for Microsoft in Redmond."
TOKENS = ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (31, 33), (34, 41), (41, 42))


def add_annotated(
    project: Project, number: int, status: DocumentStatus = "done"
) -> dict[str, Span | Relation | int]:
    """Document ``number``: PER "Brad Smith", PER "Brad" (overlapping), ORG, LOC, a relation.

    The texts differ by a numbered suffix so that the store keeps them apart.
    """
    suffix = f" {number}"
    text = TEXT + suffix
    tokens = (*TOKENS, (43, 43 + len(str(number))))
    doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status=status))
    person = Span(doc_id=doc_id, start=0, end=10, label="PER")
    first_name = Span(doc_id=doc_id, start=0, end=4, label="PER")
    company = Span(doc_id=doc_id, start=21, end=30, label="ORG")
    place = Span(doc_id=doc_id, start=34, end=41, label="LOC")
    project.add_spans([person, first_name, company, place])
    works_for = Relation(doc_id=doc_id, head=person.id, child=company.id, label="works_for")
    located_in = Relation(doc_id=doc_id, head=company.id, child=place.id, label="located_in")
    project.add_relations([works_for, located_in])
    return {
        "doc_id": doc_id,
        "person": person,
        "first_name": first_name,
        "company": company,
        "place": place,
        "works_for": works_for,
        "located_in": located_in,
    }
