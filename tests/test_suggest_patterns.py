"""Pattern files: every real file loads, bad lines are named, spans are mapped onto the schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from suggest_helpers import pattern_suggester, write_patterns

from annotator.errors import FormatError
from annotator.suggest.patterns import read_pattern_file
from annotator.suggest.pipelines import load_pipeline
from annotator.suggest.results import DocumentInput


def test_every_fixture_pattern_file_loads_and_runs(fixtures_dir: Path) -> None:
    files = sorted((fixtures_dir / "patterns").glob("*.jsonl"))
    assert len(files) >= 8
    for path in files:
        pattern_file = read_pattern_file(path)
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(pattern_file.patterns) == len(lines), path.name
    suggester = pattern_suggester("en", files)
    text = "I travelled to France and Germany, ate garlic and did a kickflip near Topshop."
    [result] = suggester.suggest([DocumentInput(doc_id=1, text=text)])
    found = {(text[s.start : s.end], s.label, s.origin) for s in result.spans}
    # GPE maps onto LOC through the default label map; the others are not in the schema.
    assert ("France", "LOC", "pattern:patterns_countries-GPE.jsonl") in found
    assert ("Germany", "LOC", "pattern:patterns_countries-GPE.jsonl") in found
    food = result.tally["pattern:food_patterns.jsonl"].dropped_labels
    assert food["INGRED"] == 1
    tricks = result.tally["pattern:patterns_skateboarding_tricks-TRICK.jsonl"]
    assert tricks.dropped_labels["TRICK"] == 1
    # The POS/`_` pattern cannot match without a tagger: left out and said so.
    assert any(
        "patterns_disable_bio_rel.jsonl" in note and "token.pos" in note for note in suggester.notes
    )


def test_string_and_token_patterns_with_lower_keys(tmp_path: Path) -> None:
    path = write_patterns(
        tmp_path / "orgs.jsonl",
        [
            '{"label": "ORG", "pattern": "Wall Street Journal"}',
            '{"label": "ORG", "pattern": [{"lower": "reuters"}]}',
            '{"label": "ORG", "pattern": [{"LOWER": "nvidia"}]}',
            '{"label": "PER", "pattern": [{"LOWER": {"IN": ["trump", "biden"]}}]}',
            '{"label": "MISC", "pattern": [{"LOWER": "ia", "ORTH": {"NOT_IN": ["Ia"]}}]}',
        ],
    )
    text = "Le Wall Street Journal et REUTERS citent Nvidia, Trump et l'IA, pas Ia."
    [result] = pattern_suggester("fr", [path]).suggest([DocumentInput(doc_id=7, text=text)])
    found = sorted((text[s.start : s.end], s.label) for s in result.spans)
    assert found == [
        ("IA", "MISC"),
        ("Nvidia", "ORG"),
        ("REUTERS", "ORG"),
        ("Trump", "PER"),
        ("Wall Street Journal", "ORG"),
    ]
    assert all(s.origin == "pattern:orgs.jsonl" and s.status == "suggested" for s in result.spans)
    assert all(s.doc_id == 7 for s in result.spans)


def test_label_map_and_unmapped_labels_are_counted(tmp_path: Path) -> None:
    path = write_patterns(
        tmp_path / "p.jsonl",
        [
            '{"label": "PERSON", "pattern": "Smith"}',
            '{"label": "GPE", "pattern": "Paris"}',
            '{"label": "DATE", "pattern": "jeudi"}',
        ],
    )
    text = "Smith était à Paris jeudi, et Smith encore jeudi."
    suggester = pattern_suggester("fr", [path], label_map={"PERSON": "PER"})
    [result] = suggester.suggest([DocumentInput(doc_id=1, text=text)])
    assert sorted((text[s.start : s.end], s.label) for s in result.spans) == [
        ("Smith", "PER"),
        ("Smith", "PER"),
    ]
    assert result.tally["pattern:p.jsonl"].dropped_labels == {"GPE": 1, "DATE": 2}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"label": "ORG", "pattern": "Apple"', "not valid JSON"),
        ('["ORG", "Apple"]', "JSON object"),
        ('{"pattern": "Apple"}', '"label"'),
        ('{"label": "ORG"}', '"pattern"'),
        ('{"label": "ORG", "pattern": [{"LOWR": "apple"}]}', "invalid token pattern"),
        ('{"label": "ORG", "pattern": []}', '"pattern"'),
    ],
)
def test_a_malformed_line_names_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = write_patterns(
        tmp_path / "bad.jsonl", ['{"label": "ORG", "pattern": "Microsoft"}', "", line]
    )
    with pytest.raises(FormatError) as caught:
        read_pattern_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: ")
    assert reason in message
    assert "\n" not in message


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"label": "LOC", "pattern": "Zürich"}\n'.encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin1.jsonl:1: not UTF-8"):
        read_pattern_file(path)
    with pytest.raises(FormatError, match="cannot read pattern file"):
        read_pattern_file(tmp_path / "absent.jsonl")


def test_blank_pipeline_has_no_model_origin() -> None:
    pipeline = load_pipeline("blank", "fr")
    assert pipeline.origin is None
    assert isinstance(pipeline.nlp, spacy.language.Language)
