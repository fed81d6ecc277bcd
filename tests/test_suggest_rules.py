"""Relation rules: the shipped French and English rules, the file format, the schema's say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suggest_helpers import ENTITY_PATTERNS, write_patterns

from annotator.errors import FormatError
from annotator.model import LabelSchema, default_schema
from annotator.model.settings import DEFAULT_LABEL_MAP
from annotator.suggest.patterns import read_pattern_file
from annotator.suggest.pipelines import load_pipeline
from annotator.suggest.relations import read_rule_file
from annotator.suggest.results import DocumentInput
from annotator.suggest.shipped import default_rules_file
from annotator.suggest.suggester import Suggester


def _relations(
    text: str,
    lang: str,
    patterns: Path,
    schema: LabelSchema | None = None,
    model: str = "blank",
    rules: list | None = None,
) -> set[tuple[str, str, str, str]]:
    """(head text, label, child text, origin) proposed for ``text``."""
    default = default_rules_file(lang)
    assert default is not None
    suggester = Suggester(
        pipeline=load_pipeline(model, lang),
        schema=schema or default_schema(),
        label_map=DEFAULT_LABEL_MAP,
        pattern_files=[read_pattern_file(patterns)] if patterns else [],
        rules=read_rule_file(default) if rules is None else rules,
    )
    [result] = suggester.suggest([DocumentInput(doc_id=1, text=text)])
    spans = {s.id: s for s in result.spans}
    return {
        (
            text[spans[r.head].start : spans[r.head].end],
            r.label,
            text[spans[r.child].start : spans[r.child].end],
            r.origin,
        )
        for r in result.relations
    }


@pytest.fixture
def entity_patterns(tmp_path: Path) -> Path:
    return write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "La Chine est un partenaire, a déclaré le président de Microsoft, Brad Smith, jeudi.",
            "rule:fr_title_of_org_person",
        ),
        ("Brad Smith, PDG de Microsoft, a parlé au WSJ.", "rule:fr_person_title_of_org"),
        ("Satya Nadella, directeur général de Microsoft, est venu.", "rule:fr_person_title_of_org"),
        ("Brad Smith, le vice-président de Microsoft, a parlé.", "rule:fr_person_title_of_org"),
    ],
)
def test_french_trigger_rules_on_a_blank_pipeline(
    text: str, rule: str, entity_patterns: Path
) -> None:
    found = _relations(text, "fr", entity_patterns)
    person = "Brad Smith" if "Brad" in text else "Satya Nadella"
    assert found == {(person, "works_for", "Microsoft", rule)}


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft's CEO Satya Nadella said on Thursday that chips matter.",
        "Satya Nadella, CEO of Microsoft, said so.",
        "Microsoft chief executive Satya Nadella said so.",
        "The president of Microsoft, Brad Smith, told the WSJ.",
    ],
)
def test_english_trigger_rules_on_a_blank_pipeline(text: str, entity_patterns: Path) -> None:
    found = _relations(text, "en", entity_patterns)
    assert [(head, label, child) for head, label, child, _ in found] == [
        ("Brad Smith" if "Brad" in text else "Satya Nadella", "works_for", "Microsoft")
    ]


def test_no_relation_without_a_title_or_across_unrelated_names(entity_patterns: Path) -> None:
    assert _relations("Brad Smith et Microsoft, deux noms.", "fr", entity_patterns) == set()
    assert _relations("Brad Smith visited Microsoft's offices.", "en", entity_patterns) == set()


def test_only_pairs_the_schema_allows(entity_patterns: Path) -> None:
    data = json.loads(default_schema().to_json())
    for relation in data["relations"]:
        if relation["name"] == "works_for":
            relation["allowed"] = [["ORG", "ORG"]]
    schema = LabelSchema.model_validate(data)
    text = "Brad Smith, PDG de Microsoft, a parlé."
    assert _relations(text, "fr", entity_patterns, schema=schema) == set()
    # and a schema without the label sets the rules aside, with a note
    data["relations"] = [r for r in data["relations"] if r["name"] != "works_for"]
    assert _relations(text, "fr", entity_patterns, LabelSchema.model_validate(data)) == set()


def test_user_rule_file_with_token_and_dependency_patterns(
    tmp_path: Path, entity_patterns: Path
) -> None:
    path = tmp_path / "mine.json"
    path.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "id": "employs",
                        "label": "works_for",
                        "score": 0.5,
                        "tokens": [
                            {"SLOT": "child"},
                            {"LOWER": "emploie"},
                            {"SLOT": "head"},
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    rules = read_rule_file(path)
    found = _relations("Microsoft emploie Brad Smith.", "fr", entity_patterns, rules=rules)
    assert found == {("Brad Smith", "works_for", "Microsoft", "rule:employs")}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"rules": [\n{"id": "x",}\n]}', r"bad.json:2: not valid JSON"),
        ('{"rules": {}}', r'bad.json: expected an object with a "rules" list'),
        ('{"rules": [{"label": "works_for", "tokens": []}]}', r"\(rule 1\): missing \"id\""),
        ('{"rules": [{"id": "a", "label": "works_for"}]}', r"\(rule 1 a\): needs \"tokens\""),
        (
            '{"rules": [{"id": "a", "label": "works_for", "tokens": [[{"SLOT": "head"}]]}]}',
            r"\(rule 1 a\): invalid pattern: .*child",
        ),
        (
            '{"rules": [{"id": "a", "label": "works_for", "tokens": '
            '[[{"SLOT": "head"}, {"LOWR": "x"}, {"SLOT": "child"}]]}]}',
            r"\(rule 1 a\): invalid pattern",
        ),
        (
            '{"rules": [{"id": "a", "label": "works_for", "dependency": '
            '[[{"RIGHT_ID": "head", "RIGHT_ATTRS": {}}]]}]}',
            r"\(rule 1 a\): invalid pattern: .*\"child\"",
        ),
        (
            '{"rules": [{"id": "a", "label": "w", "score": 3, "tokens": []}]}',
            r'"score" must be',
        ),
    ],
)
def test_malformed_rule_files_name_the_file_and_rule(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=expected):
        read_rule_file(path)


def test_shipped_rule_files_load() -> None:
    labels = {"fr": {"works_for", "located_in", "member_of"}, "en": {"works_for"}}
    for lang in ("fr", "en"):
        shipped = default_rules_file(lang)
        assert shipped is not None
        rules = read_rule_file(shipped)
        assert {rule.label for rule in rules} == labels[lang]
    assert default_rules_file("xx") is None


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "La Chine est un meilleur partenaire, a déclaré le président de Microsoft, Brad Smith.",
        "Brad Smith, PDG de Microsoft, a déclaré jeudi que la Chine progresse.",
        "Satya Nadella, directeur général de Microsoft, est venu à Paris.",
    ],
)
def test_french_dependency_rules_on_a_parsed_sentence(text: str) -> None:
    """Only the parser-based rules of fr_news.json, with fr_core_news_sm's own entities."""
    shipped = default_rules_file("fr")
    assert shipped is not None
    dependency_rules = [rule for rule in read_rule_file(shipped) if rule.dependency]
    assert dependency_rules and not any(rule.tokens for rule in dependency_rules)
    found = _relations(text, "fr", None, model="fr_core_news_sm", rules=dependency_rules)
    person = "Satya Nadella" if "Satya" in text else "Brad Smith"
    assert {(head, label, child) for head, label, child, _ in found} == {
        (person, "works_for", "Microsoft")
    }
    assert all(origin.startswith("rule:fr_dep_") for *_, origin in found)
