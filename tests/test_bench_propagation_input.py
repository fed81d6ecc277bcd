"""The propagation benchmark reads any importable annotated file as its gold corpus."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_propagation.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_propagation", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_prodigy_file_gives_its_accepted_spans_as_gold_on_tokens_made_for_it(
    tmp_path: Path,
) -> None:
    text = "Anna Weber flew to Berlin."
    tasks = [
        {
            "text": text,
            "answer": "accept",
            "spans": [
                {"start": 0, "end": 10, "label": "PER"},
                {"start": 5, "end": 10, "label": "LOC"},  # inside the longer one: left out
                {"start": 19, "end": 25, "label": "LOC"},
            ],
        },
        {"text": "   ", "answer": "accept", "spans": []},  # nothing to annotate: left out
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(task) for task in tasks) + "\n", encoding="utf-8")
    [(document, gold)] = _bench().load(path, 200, "prodigy", "en")
    assert document.text == text
    assert gold == {(0, 10, "PER"), (19, 25, "LOC")}
    assert (19, 25) in document.tokens and (25, 26) in document.tokens


def test_a_conll_file_keeps_its_own_tokens(tmp_path: Path) -> None:
    path = tmp_path / "news.bio"
    path.write_text("M. O\nBriand B-PER\nà O\n,Paris B-LOC\n", encoding="utf-8")
    [(document, gold)] = _bench().load(path, 200)
    assert document.text == "M. Briand à ,Paris"
    assert gold == {(3, 9, "PER"), (12, 18, "LOC")}
    assert document.tokens[-1] == (12, 18)
