"""Malformed input (issue 13): one line naming the file and place, the project unchanged.

Each test holds a case the fuzz run found crashing, hanging, exhausting memory or taking
silently wrong data.
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.training import iob_to_biluo

from annotator.errors import FormatError, ValidationError
from annotator.io import docbin, limits
from annotator.io.conll import iob_to_biluo_linear, read_conll
from annotator.model import EntityLabel, LabelSchema, Relation, Span
from annotator.model.parsing import parse
from annotator.services.importing import import_sources
from annotator.store import Project

TEXT = "Marie Curie est née à Varsovie."
PER, LOC = {"start": 0, "end": 11, "label": "PER"}, {"start": 22, "end": 30, "label": "LOC"}


def content(project: Project) -> list[Any]:
    """Everything an import could change."""
    return [
        project.db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        for table in ("documents", "tokens", "spans", "relations", "edit_log", "meta")
    ]


def refused(project: Project, source: Path, fmt: str, match: str) -> str:
    """Import ``source``; it must fail with one line naming it, leaving the project as it was."""
    before = content(project)
    with pytest.raises(FormatError, match=match) as caught:
        import_sources(project, [source], format=fmt)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(source))
    assert content(project) == before
    return message


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogatepass")
    path.write_bytes(text)
    return path


def prodigy_line(**changes: Any) -> str:
    task = {"text": TEXT, "spans": [PER, LOC], "answer": "accept", **changes}
    return json.dumps(task, ensure_ascii=False)


@pytest.fixture
def full(project: Project, tmp_path: Path) -> Project:
    """The project with one document already, so that "unchanged" means something."""
    import_sources(project, [write(tmp_path / "first.txt", "Un premier document.")])
    return project


# --- NUL characters ---------------------------------------------------------------------------


def test_a_nul_in_a_text_is_refused_naming_the_line(full: Project, tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", prodigy_line(text=TEXT.replace("née", "n\x00ée")))
    refused(
        full, source, "prodigy", r"in\.jsonl:1: the text holds a NUL character \(at character 17"
    )


def test_a_nul_in_a_plain_text_file_is_refused(full: Project, tmp_path: Path) -> None:
    source = write(tmp_path / "a.txt", b"one\ntwo\x00three")
    # a NUL byte marks the file as binary before any text is read (the binary-file check)
    refused(full, source, "text", r"a\.txt: not text: a binary file \(NUL bytes\)")


def test_a_nul_in_a_label_is_refused(full: Project, tmp_path: Path) -> None:
    # escaped in JSON: a raw NUL byte would make it a binary file, refused before reading
    source = write(
        tmp_path / "in.jsonl", '{"text": "Marie Curie", "label": [[0, 5, "PER\\u0000"]]}\n'
    )
    refused(full, source, "doccano", r"in\.jsonl.*'PER\\x00'.*control")


# --- labels -----------------------------------------------------------------------------------


def test_a_label_of_100000_characters_is_refused_quickly(full: Project, tmp_path: Path) -> None:
    label = "L" * 100_000
    source = write(tmp_path / "in.jsonl", prodigy_line(spans=[{**PER, "label": label}]))
    started = time.perf_counter()
    message = refused(full, source, "prodigy", r"in\.jsonl:1: span label 'LLL.*at most 100 char")
    assert len(message) < 300
    assert time.perf_counter() - started < 5


def test_the_model_refuses_a_label_over_100_characters() -> None:
    EntityLabel(name="L" * 100)
    for model, data in (
        (EntityLabel, {"name": "L" * 101}),
        (Span, {"doc_id": 1, "start": 0, "end": 1, "label": "L" * 101}),
        (Relation, {"doc_id": 1, "head": "a", "child": "b", "label": "L" * 101}),
    ):
        with pytest.raises(ValidationError, match="at most 100 characters"):
            parse(model, data)
    with pytest.raises(ValidationError, match="single word"):
        parse(LabelSchema, {"entities": [{"name": "two words"}]})


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "line"),
    [
        ("jsonl", '{"text": "a", "meta": {"n": 1%s}}'),
        ("doccano", '{"text": "abc", "label": [[0, 1, "X"]], "id": 1%s}'),
        ("annotator", '{"format": "annotator/1", "text": "abc", "tokens": [[0, 1%s]]}'),
    ],
)
def test_a_number_of_over_4300_digits_is_refused(
    full: Project, tmp_path: Path, fmt: str, line: str
) -> None:
    source = write(tmp_path / "in.jsonl", line % ("0" * 4400))
    refused(full, source, fmt, r"in\.jsonl:1: not valid JSON \(a number has more than 4,300")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused(full: Project, tmp_path: Path, constant: str) -> None:
    source = write(
        tmp_path / "in.jsonl",
        '{"text": "a", "meta": {"score": CONSTANT}}'.replace("CONSTANT", constant),
    )
    refused(full, source, "jsonl", r"in\.jsonl:1: not valid JSON")
    tasks = [
        {
            "data": {"text": TEXT},
            "predictions": [
                {
                    "result": [
                        {
                            "id": "a",
                            "type": "labels",
                            "score": "SCORE",
                            "value": {"start": 0, "end": 5, "labels": ["PER"]},
                        }
                    ]
                }
            ],
        }
    ]
    labelstudio = json.dumps(tasks).replace('"SCORE"', constant)
    refused(full, write(tmp_path / "ls.json", labelstudio), "labelstudio", "not valid JSON")


def test_a_huge_integer_score_is_refused(full: Project, tmp_path: Path) -> None:
    line = prodigy_line(spans=[{**PER, "score": "SCORE"}]).replace('"SCORE"', "9" * 400)
    refused(full, write(tmp_path / "in.jsonl", line), "prodigy", "score 9+ is not a finite number")


def test_a_prodigy_view_id_that_is_a_list_is_kept_as_it_is(
    project: Project, tmp_path: Path
) -> None:
    source = write(tmp_path / "in.jsonl", prodigy_line(_view_id=["ner"]))
    assert import_sources(project, [source], format="prodigy").documents == 1
    document = project.document(project.document_ids()[0], tokens=False)
    assert document.status == "done"
    assert document.meta["prodigy"]["_view_id"] == ["ner"]


# --- offsets ----------------------------------------------------------------------------------


def test_a_boolean_offset_is_refused_by_doccano(full: Project, tmp_path: Path) -> None:
    entity = {"id": 1, "start_offset": True, "end_offset": 11, "label": "PER"}
    source = write(tmp_path / "in.jsonl", json.dumps({"text": TEXT, "entities": [entity]}))
    refused(full, source, "doccano", r"in\.jsonl:1: entities: bad span")


@pytest.mark.parametrize("key", ["start", "token_start"])
def test_a_boolean_offset_is_refused_by_prodigy(full: Project, tmp_path: Path, key: str) -> None:
    tokens = [{"text": "Marie", "start": 0, "end": 5, "id": 0}]
    span = {**PER, "end": 5, "token_start": 0, "token_end": 0, key: True}
    source = write(tmp_path / "in.jsonl", prodigy_line(tokens=tokens, spans=[span]))
    refused(full, source, "prodigy", rf"in\.jsonl:1: span 0: {key} True is not an integer")


def test_a_boolean_offset_is_refused_by_label_studio(full: Project, tmp_path: Path) -> None:
    region = {"id": "a", "type": "labels", "value": {"start": False, "end": 5, "labels": ["X"]}}
    tasks = [{"id": 3, "data": {"text": TEXT}, "annotations": [{"result": [region]}]}]
    source = write(tmp_path / "in.json", json.dumps(tasks))
    refused(full, source, "labelstudio", r"in\.json \(task 3\): region a: offsets False-5")


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "labelstudio"])
def test_json_nested_10000_levels_deep_is_refused(full: Project, tmp_path: Path, fmt: str) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    if fmt == "jsonl":
        source = write(
            tmp_path / "in.jsonl", '{"text": "a", "meta": {"x": DEEP}}'.replace("DEEP", deep)
        )
    else:
        source = write(
            tmp_path / "in.json", '[{"data": {"text": "a"}, "meta": DEEP}]'.replace("DEEP", deep)
        )
    refused(full, source, fmt, "nested over 100 levels")


@pytest.mark.parametrize("name", ["in.jsonl", "in.json"])
def test_format_detection_survives_deep_nesting(full: Project, tmp_path: Path, name: str) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    source = write(tmp_path / name, '{"text": "a", "label": DEEP}'.replace("DEEP", deep))
    before = content(full)
    with pytest.raises(FormatError, match="nested over 100 levels"):
        import_sources(full, [source])  # --format auto
    assert content(full) == before


def test_json_nested_over_100_levels_is_refused_though_python_reads_it(
    full: Project, tmp_path: Path
) -> None:
    deep = "[" * 150 + "]" * 150
    source = write(
        tmp_path / "in.jsonl", '{"text": "a", "meta": {"x": DEEP}}'.replace("DEEP", deep)
    )
    refused(full, source, "jsonl", r"in\.jsonl:1: the record is nested over 100 levels")


@pytest.mark.parametrize("where", ["text", "label"])
def test_a_lone_surrogate_is_refused(full: Project, tmp_path: Path, where: str) -> None:
    task = {"text": "\ud800 Marie", "answer": "accept"}
    if where == "label":
        task = {"text": TEXT, "spans": [{**PER, "label": "\ud800"}], "answer": "accept"}
    source = write(tmp_path / "in.jsonl", json.dumps(task))  # json escapes it as \ud800
    refused(full, source, "prodigy", r"in\.jsonl:1: the record holds an unpaired surrogate")


def test_a_doccano_csv_field_over_128_kb_imports(project: Project, tmp_path: Path) -> None:
    long_text = "mot " * 50_000
    source = write(tmp_path / "in.csv", f'text,label\n"{long_text}",positive\n')
    report = import_sources(project, [source], format="doccano")
    assert report.documents == 1
    assert project.document(project.document_ids()[0], tokens=False).text == long_text


def test_a_doccano_entity_id_that_is_an_object_is_refused(full: Project, tmp_path: Path) -> None:
    entity = {"id": {"a": 1}, "start_offset": 0, "end_offset": 11, "label": "PER"}
    source = write(tmp_path / "in.jsonl", json.dumps({"text": TEXT, "entities": [entity]}))
    refused(full, source, "doccano", r"in\.jsonl:1: entity id \{'a': 1\} is not a number or")


def test_an_empty_string_for_doccano_relations_is_refused(full: Project, tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", json.dumps({"text": TEXT, "relations": ""}))
    refused(full, source, "doccano", r"in\.jsonl:1: relations: expected a list, got ''")


def _labelstudio_task(relation_labels: Any = None, **task: Any) -> list[dict[str, Any]]:
    regions: list[dict[str, Any]] = [
        {"id": "a", "type": "labels", "value": {"start": 0, "end": 11, "labels": ["PER"]}},
        {"id": "b", "type": "labels", "value": {"start": 22, "end": 30, "labels": ["LOC"]}},
        {"type": "relation", "from_id": "a", "to_id": "b", "labels": relation_labels},
    ]
    return [{"id": 5, "data": {"text": TEXT}, "annotations": [{"result": regions}], **task}]


@pytest.mark.parametrize("labels", ["12", 12, [1]])
def test_label_studio_relation_labels_must_be_a_list_of_strings(
    full: Project, tmp_path: Path, labels: Any
) -> None:
    source = write(tmp_path / "in.json", json.dumps(_labelstudio_task(labels)))
    refused(full, source, "labelstudio", r"\(task 5\): relation a -> b: labels must be a list")


def test_an_empty_string_for_label_studio_predictions_is_refused(
    full: Project, tmp_path: Path
) -> None:
    source = write(tmp_path / "in.json", json.dumps(_labelstudio_task(["born_in"], predictions="")))
    refused(full, source, "labelstudio", r"\(task 5\): predictions is not a list")


def test_a_brat_relation_to_a_missing_span_is_refused(full: Project, tmp_path: Path) -> None:
    write(tmp_path / "doc" / "a.txt", TEXT)
    ann = "T1\tPER 0 11\tMarie Curie\nR1\tCause Arg1:T1 Arg2:T99\n"
    write(tmp_path / "doc" / "a.ann", ann)
    refused(full, tmp_path / "doc", "brat", r"a\.ann:2: R1: T99 is not an annotation of this file")


# --- DocBin -----------------------------------------------------------------------------------


def _docbin_message() -> dict[str, Any]:
    doc = spacy.blank("fr").make_doc(TEXT)
    doc.ents = [doc.char_span(0, 11, label="PER")]
    doc.cats = {"BIO": 1.0}
    return srsly.msgpack_loads(zlib.decompress(DocBin(docs=[doc]).to_bytes()))


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("cats", None, "cats is missing or not a list"),
        ("span_groups", 7, "span_groups must be a list"),
        ("span_groups", [{"a": 1}], "span_groups must be a list"),
        ("attrs", [], "attrs must be attribute ids"),
        ("lengths", b"\x01\x00\x00\x00", "token counts do not add up"),
        ("user_data", 3, "user_data must be a list"),
        ("flags", [None], "flags must be a list"),
    ],
)
def test_a_docbin_with_wrong_field_types_is_refused(
    full: Project, tmp_path: Path, field: str, value: Any, match: str
) -> None:
    message = _docbin_message()
    message[field] = value
    source = write(tmp_path / "in.spacy", zlib.compress(srsly.msgpack_dumps(message)))
    refused(full, source, "spacy", rf"in\.spacy: not a spaCy DocBin \({match}")


def test_docbin_cats_holding_nan_are_refused(full: Project, tmp_path: Path) -> None:
    message = _docbin_message()
    message["cats"] = [{"BIO": float("nan")}]
    source = write(tmp_path / "in.spacy", zlib.compress(srsly.msgpack_dumps(message)))
    refused(
        full,
        source,
        "spacy",
        r"in\.spacy \(document 1\): the record's meta holds NaN or an infinite",
    )


def test_a_zlib_bomb_is_refused_before_it_is_inflated(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docbin, "INFLATE_FLOOR", 1024 * 1024)
    message = _docbin_message()
    message["tokens"] = bytes(64 * 1024 * 1024)
    source = write(tmp_path / "in.spacy", zlib.compress(srsly.msgpack_dumps(message), 9))
    assert source.stat().st_size < 100_000
    tracemalloc.start()
    try:
        refused(full, source, "spacy", r"in\.spacy: inflates to more than \d+ MB")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024


# --- sizes ------------------------------------------------------------------------------------


def test_a_text_over_the_limit_is_refused_before_it_is_read(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_TEXT_CHARACTERS", 1000)
    source = write(tmp_path / "big.txt", "x" * 4004)
    refused(full, source, "text", r"big\.txt: the text has at least 1,001 characters")
    write(tmp_path / "ok.txt", "x" * 1000)
    assert import_sources(full, [tmp_path / "ok.txt"], format="text").documents == 1


def test_a_paragraph_over_the_limit_is_refused_before_sentence_splitting(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_TEXT_CHARACTERS", 1000)
    source = write(tmp_path / "big.txt", "Court.\n\n" + "mot " * 300)
    before = content(full)
    with pytest.raises(FormatError, match=r"big\.txt \(paragraph 2\): the text has at least"):
        import_sources(full, [source], format="text", split="sentence")
    assert content(full) == before


def test_a_jsonl_line_over_the_limit_is_refused_before_it_is_parsed(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 1000)
    lines = json.dumps({"text": "court"}) + "\n" + json.dumps({"text": "x" * 2000}) + "\n"
    source = write(tmp_path / "in.jsonl", lines)
    refused(full, source, "jsonl", r"in\.jsonl:2: the line is longer than")


def test_a_jsonl_text_over_the_limit_is_refused(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_TEXT_CHARACTERS", 1000)
    source = write(tmp_path / "in.jsonl", json.dumps({"text": "x" * 1001}))
    refused(full, source, "jsonl", r"in\.jsonl:1: the text has at least 1,001 characters")


# --- CoNLL ------------------------------------------------------------------------------------


def test_linear_iob_to_biluo_gives_what_spacy_gives() -> None:
    rng = random.Random(13)
    tags = ["O", "B-PER", "I-PER", "L-PER", "U-PER", "B-LOC", "I-LOC"]
    for _ in range(300):
        sequence = [rng.choice(tags) for _ in range(rng.randint(0, 12))]
        assert iob_to_biluo_linear(sequence) == iob_to_biluo(sequence)


def test_conll_tags_without_sentence_ends_convert_in_linear_time() -> None:
    """spaCy's iob_to_biluo took 5.5 s on 200,000 tokens with no sentence end, 213 s on 1M."""
    tags = ["I-PER", "O"] * 500_000
    started = time.perf_counter()
    biluo = iob_to_biluo_linear(tags)
    assert time.perf_counter() - started < 5
    assert biluo[:4] == ["U-PER", "O", "U-PER", "O"]


def test_conll_without_sentence_ends_is_one_document(tmp_path: Path) -> None:
    source = tmp_path / "in.bio"
    source.write_text("mot I-PER\nde O\n" * 5000, encoding="utf-8")
    (record,) = read_conll(source)
    assert len(record.tokens or ()) == 10_000
    assert len(record.spans) == 5000
