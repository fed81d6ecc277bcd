"""The sample article with a real French pipeline: persons, organisations, places, works_for."""

from __future__ import annotations

import pytest
from conftest import SEEDS
from suggest_helpers import add_texts, described_relations, described_spans

from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project


@pytest.mark.slow
def test_fr_core_news_sm_on_the_sample_article(project: Project) -> None:
    text = (SEEDS / "000_e18a1e497362b71d.txt").read_text(encoding="utf-8")
    [doc_id] = add_texts(project, [text])
    report = run_suggestions(project, SuggestOptions(model="fr_core_news_sm"))
    origin = "model:fr_core_news_sm@3.8.0"
    spans = described_spans(project, doc_id)
    found = {(text, label) for text, label, span_origin, _ in spans if span_origin == origin}
    for expected in [
        ("Brad Smith", "PER"),
        ("Donald Trump", "PER"),
        ("Joe Biden", "PER"),
        ("Microsoft", "ORG"),
        ("Reuters", "ORG"),
        ("Wall Street Journal", "ORG"),
        ("Suisse", "LOC"),
        ("Israël", "LOC"),
        ("États-Unis", "LOC"),
    ]:
        assert expected in found
    relations = described_relations(project, doc_id)
    assert any(
        (head, label, child) == ("Brad Smith", "works_for", "Microsoft")
        for head, label, child, _, _ in relations
    )
    assert all(origin.startswith("rule:fr_") for *_, origin, _ in relations)
    assert report.tally[origin].spans == len(project.spans(doc_id)) == report.spans_added
