"""A trained pipeline's dev scores count what the project's suggestions would show: its labels
through the label map, and labels outside the schema left out (a French base pipeline's MISC
in a project without it was an error in the total, though nobody ever sees one)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from annotator.suggest.training import schema_scores

TEXT = "Brad Smith visite Paris avec la Coupe du monde."


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    """Finds PERSON (a label the project maps to PER), LOC and MISC, and writes them as ents."""
    nlp = spacy.blank("fr")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "PERSON", "pattern": "Brad Smith"},
            {"label": "LOC", "pattern": "Paris"},
            {"label": "MISC", "pattern": "Coupe du monde"},
        ]
    )
    nlp.to_disk(tmp_path / "model")
    return tmp_path / "model"


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    nlp = spacy.blank("fr")
    doc = nlp(TEXT)
    doc.set_ents(
        [doc.char_span(0, 10, label="PER"), doc.char_span(18, 23, label="LOC")],
        default="outside",
    )
    (tmp_path / "dev").mkdir()
    DocBin(docs=[doc]).to_disk(tmp_path / "dev" / "dev.spacy")
    return tmp_path / "dev"


def test_labels_outside_the_schema_are_not_counted_and_mapped_ones_are(
    pipeline: Path, dev: Path
) -> None:
    scores = schema_scores(pipeline, dev, ("PER", "ORG", "LOC"), {"PERSON": "PER"})
    assert set(scores["ents_per_type"]) == {"PER", "LOC"}
    assert (scores["ents_p"], scores["ents_r"], scores["ents_f"]) == (1.0, 1.0, 1.0)


def test_without_the_map_a_model_label_is_left_out_and_its_gold_span_missed(
    pipeline: Path, dev: Path
) -> None:
    scores = schema_scores(pipeline, dev, ("PER", "ORG", "LOC"), {})
    assert scores["ents_per_type"]["PER"] == {"p": 0.0, "r": 0.0, "f": 0.0}
    assert scores["ents_p"] == 1.0 and scores["ents_r"] == 0.5
