"""JSONL and Prodigy readers: records, answers, tokens, relations and every malformed line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotator.errors import FormatError
from annotator.io.jsonl import read_jsonl, read_prodigy, sniff_jsonl, sniff_prodigy

TEXT = "Brad Smith works for Microsoft."
TOKENS = [
    {"text": "Brad", "start": 0, "end": 4, "id": 0, "ws": True},
    {"text": "Smith", "start": 5, "end": 10, "id": 1, "ws": True},
    {"text": "works", "start": 11, "end": 16, "id": 2, "ws": True},
    {"text": "for", "start": 17, "end": 20, "id": 3, "ws": True},
    {"text": "Microsoft", "start": 21, "end": 30, "id": 4, "ws": False},
    {"text": ".", "start": 30, "end": 31, "id": 5, "ws": False},
]
PER = {"start": 0, "end": 10, "token_start": 0, "token_end": 1, "label": "PER"}
ORG = {"start": 21, "end": 30, "token_start": 4, "token_end": 4, "label": "ORG"}


def write_lines(path: Path, *lines: Any) -> Path:
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def task(**extra: Any) -> dict[str, Any]:
    return {
        "text": TEXT,
        "tokens": TOKENS,
        "spans": [PER, ORG],
        "_input_hash": 11,
        "_task_hash": -22,
        "_view_id": "ner_manual",
        **extra,
    }


def test_plain_jsonl_keeps_meta_and_other_keys(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "a.jsonl",
        {"text": "one", "meta": {"source": "wire"}},
        "",
        {"text": "two", "id": 7, "meta": {"id": 1}},
    )
    found = list(read_jsonl(path))
    assert [(r.text, r.meta, r.where) for r in found] == [
        ("one", {"source": "wire"}, 1),
        ("two", {"id": 1}, 3),  # the record's own meta wins over a top-level key
    ]


def test_bom_and_crlf_lines_are_read(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "d\\u00e9j\\u00e0"}\r\n{"text": "x"}\r\n')
    assert [r.text for r in read_jsonl(path)] == ["déjà", "x"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "a",', "not valid JSON (Expecting property name"),
        ('["a list"]', "expected a JSON object, found a list (a JSON file rather than JSON"),
        ('{"meta": {}}', 'no "text" string'),
        ('{"text": 3}', 'no "text" string'),
        ('{"text": "a", "meta": [1]}', '"meta" must be an object, not list'),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", {"text": "fine"}, line)
    with pytest.raises(FormatError) as error:
        list(read_jsonl(path))
    assert str(error.value).startswith(f"{path}:2: {reason}")


def test_line_not_in_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(FormatError, match=r"latin\.jsonl:2: not UTF-8 \(byte 0xe9"):
        list(read_jsonl(path))


def test_prodigy_task_keeps_tokens_hashes_and_other_keys(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", task(answer="accept", meta={"source": "x"}))
    [record] = read_prodigy(path)
    assert record.tokens == ((0, 4), (5, 10), (11, 16), (17, 20), (21, 30), (30, 31))
    assert record.meta["_input_hash"] == 11 and record.meta["_task_hash"] == -22
    assert record.meta["source"] == "x"
    prodigy = record.meta["prodigy"]
    assert prodigy["answer"] == "accept" and prodigy["_view_id"] == "ner_manual"
    assert prodigy["token_keys"] == ["text", "start", "end", "id", "ws"]
    assert [(s.start, s.end, s.label, s.status) for s in record.spans] == [
        (0, 10, "PER", "accepted"),
        (21, 30, "ORG", "accepted"),
    ]
    assert record.status == "done"


@pytest.mark.parametrize(
    ("extra", "span_status", "document_status"),
    [
        ({"answer": "accept"}, "accepted", "done"),
        ({"answer": "accept", "_view_id": "ner"}, "accepted", "in_progress"),  # binary
        ({"answer": "reject"}, "rejected", None),
        ({"answer": "ignore"}, "suggested", "skipped"),
        ({}, "suggested", None),
        ({"answer": "accept", "label": "TECH"}, "suggested", None),  # textcat judges a label
        ({"answer": "accept", "options": [{"id": "A"}], "accept": ["A"]}, "suggested", None),
    ],
)
def test_answer_mapping(
    tmp_path: Path, extra: dict[str, Any], span_status: str, document_status: str | None
) -> None:
    path = write_lines(tmp_path / "p.jsonl", task(**extra))
    [record] = read_prodigy(path)
    assert {span.status for span in record.spans} == {span_status}
    assert record.status == document_status


def test_unknown_answer_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "p.jsonl", task(answer="maybe"))
    with pytest.raises(FormatError, match=r"p\.jsonl:1: unknown answer 'maybe'"):
        list(read_prodigy(path))


def test_relations_point_at_spans_by_head_span_or_last_token(tmp_path: Path) -> None:
    by_span = {"head": 1, "child": 4, "head_span": PER, "child_span": ORG, "label": "works_for"}
    by_token = {"head": 1, "child": 4, "label": "works_for", "color": "#ffd882"}
    path = write_lines(
        tmp_path / "rel.jsonl",
        task(answer="accept", relations=[by_span]),
        task(answer="accept", relations=[by_token]),
    )
    first, second = read_prodigy(path)
    keys = {span.key: (span.start, span.end) for span in first.spans}
    for record in (first, second):
        [relation] = record.relations
        assert (keys[relation.head], keys[relation.child]) == ((0, 10), (21, 30))
        assert relation.status == "accepted"
    assert second.meta["prodigy"]["relation_extras"] == {
        "0:10:PER>21:30:ORG:works_for": {"color": "#ffd882"}
    }


def test_relation_to_an_unlabelled_token_is_refused(tmp_path: Path) -> None:
    token = {"start": 11, "end": 16, "token_start": 2, "token_end": 2, "label": None}
    relation = {"head": 1, "child": 2, "head_span": PER, "child_span": token, "label": "x"}
    path = write_lines(tmp_path / "rel.jsonl", task(relations=[relation]))
    with pytest.raises(FormatError, match=r"rel\.jsonl:1: relation 0 \(x\): its child"):
        list(read_prodigy(path))


def test_relation_endpoint_missing_from_spans_is_added(tmp_path: Path) -> None:
    relation = {"head": 1, "child": 4, "head_span": PER, "child_span": ORG, "label": "works_for"}
    path = write_lines(tmp_path / "rel.jsonl", task(spans=[PER], relations=[relation]))
    [record] = read_prodigy(path)
    assert {(s.start, s.end, s.label) for s in record.spans} == {(0, 10, "PER"), (21, 30, "ORG")}


def test_span_offsets_from_token_indices(tmp_path: Path) -> None:
    span = {"token_start": 4, "token_end": 5, "label": "ORG"}
    path = write_lines(tmp_path / "p.jsonl", task(spans=[span]))
    [record] = read_prodigy(path)
    assert (record.spans[0].start, record.spans[0].end) == (21, 31)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"spans": [{"start": 0, "end": 4}]}, "span 0 [0, 4) has no label"),
        ({"spans": [{"label": "PER"}]}, "span 0 has no integer start and end"),
        ({"spans": [{"token_start": 3, "token_end": 9, "label": "X"}]}, "tokens 3..9 are outside"),
        ({"tokens": [{"start": 5, "end": 3}]}, "token 0 [5, 3) is empty, out of order"),
        ({"tokens": "Brad Smith"}, '"tokens" must be a list'),
        ({"relations": [{"head": 0, "child": 4}]}, "relation 0 has no label"),
        ({"relations": [{"head": 2, "child": 4, "label": "r"}]}, "no span ends at its head"),
    ],
)
def test_malformed_tasks_name_the_line(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    path = write_lines(tmp_path / "p.jsonl", task(), task(**changes))
    with pytest.raises(FormatError) as error:
        list(read_prodigy(path))
    assert str(error.value).startswith(f"{path}:2: ")
    assert reason in str(error.value)


def test_token_extras_are_kept_per_token(tmp_path: Path) -> None:
    tokens = [dict(token, disabled=index != 0) for index, token in enumerate(TOKENS)]
    path = write_lines(tmp_path / "p.jsonl", task(tokens=tokens))
    [record] = read_prodigy(path)
    assert record.meta["prodigy"]["token_extras"] == {"disabled": [False] + [True] * 5}


def test_sniffers_tell_plain_jsonl_prodigy_and_doccano_apart(tmp_path: Path) -> None:
    plain = write_lines(tmp_path / "plain.jsonl", {"text": "a", "meta": {}})
    prodigy = write_lines(tmp_path / "prodigy.jsonl", task())
    doccano = write_lines(
        tmp_path / "doccano.jsonl", {"text": "a", "entities": [], "relations": []}
    )
    heads = {path: path.read_bytes() for path in (plain, prodigy, doccano)}
    assert sniff_jsonl(plain, heads[plain]) and not sniff_prodigy(plain, heads[plain])
    assert sniff_prodigy(prodigy, heads[prodigy])
    assert not sniff_prodigy(doccano, heads[doccano])
    assert not sniff_jsonl(tmp_path / "x.txt", b"just words")


def test_prodigy_is_told_by_any_task_in_the_head_even_a_long_one(tmp_path: Path) -> None:
    later = write_lines(tmp_path / "later.jsonl", {"text": "plain first"}, task())
    assert sniff_prodigy(later, later.read_bytes())
    long = write_lines(tmp_path / "long.jsonl", task(meta={"note": "x" * 70_000}))
    head = long.read_bytes()[:65536]
    assert sniff_prodigy(long, head) and sniff_jsonl(long, head)
