"""Spans and relations read back from the store are the models that were written."""

from __future__ import annotations

from annotator.model import Relation, Span
from annotator.store import Project


def test_read_spans_and_relations_equal_what_was_written(project: Project, doc_id: int) -> None:
    person = Span(doc_id=doc_id, start=0, end=10, label="PER", origin="model:m@1", score=0.5)
    company = Span(doc_id=doc_id, start=21, end=30, label="ORG", status="suggested", edited=True)
    link = Relation(doc_id=doc_id, head=person.id, child=company.id, label="works_for")
    project.add_spans([person, company])
    project.add_relations([link])
    spans, relations = project.spans(doc_id), project.relations(doc_id)
    assert spans == [person, company] and relations == [link]
    assert [s.model_dump() for s in spans] == [person.model_dump(), company.model_dump()]
    assert {hash(s) for s in spans} == {hash(person), hash(company)}
    accepted = spans[1].model_copy(update={"status": "accepted"})
    assert accepted.status == "accepted" and spans[1].status == "suggested"
    assert accepted.model_fields_set == set(Span.model_fields)
