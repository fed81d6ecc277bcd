"""What the reading process sends: records checked, with what their spans repeat sent once."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from annotator.services import import_records
from annotator.services.import_records import checked_records, plan_source


def _doccano(path: Path, labels: list[str]) -> Path:
    lines = []
    for number in range(20):
        text = f"Marie Curie travaille pour Acme à Paris. {number}"
        entities = [
            {"id": at, "start_offset": start, "end_offset": end, "label": label}
            for at, ((start, end), label) in enumerate(
                zip([(0, 11), (27, 31), (34, 39)], labels, strict=False)
            )
        ]
        lines.append(json.dumps({"text": text, "entities": entities}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _records(path: Path) -> list:
    plan = plan_source(path, "doccano", "none", "fr")
    return [pending for _, pending in checked_records([plan])]


def test_a_batch_pickles_each_label_and_span_facts_once(tmp_path: Path) -> None:
    records = _records(_doccano(tmp_path / "a.jsonl", ["PER", "ORG", "PER"]))
    assert sum(len(pending.spans) for pending in records) == 60
    batch = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
    assert batch.count(b"PER") == 1 and batch.count(b"ORG") == 1
    assert batch.count(b"import:doccano") == 1 and batch.count(b"accepted") == 1
    # and each record is what it says, once unpickled
    again = pickle.loads(batch)
    assert [sorted(pending.spans) for pending in again] == [
        sorted(pending.spans) for pending in records
    ]
    assert {facts for pending in again for facts in pending.spans.values()} == {
        ("import:doccano", "accepted", None, False)
    }


def test_what_is_shared_stays_within_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(import_records, "SHARED_MAX", 2)
    monkeypatch.setattr(import_records, "_GOOD_LABELS", {})
    monkeypatch.setattr(import_records, "_SHARED_FACTS", {})
    records = _records(_doccano(tmp_path / "a.jsonl", ["PER", "ORG", "LOC"]))
    assert len(import_records._GOOD_LABELS) == 2 and len(import_records._SHARED_FACTS) == 1
    assert [sorted(key[2] for key in pending.spans) for pending in records] == [
        ["LOC", "ORG", "PER"]
    ] * 20
