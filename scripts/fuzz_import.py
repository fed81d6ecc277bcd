"""Fuzz every importer with malformed files mutated from real ones; print what each case gave.

    .venv/bin/python scripts/fuzz_import.py [--cases 2000] [--seed 13] [--timeout 30]
        [--formats jsonl,brat] [--fixtures ../shared/fixtures] [--show 10]

Each case is a seed file of one format (from ``../shared/fixtures`` when present, else only
the seeds generated here) with one mutation: byte flips, truncation, NUL and bad UTF-8 bytes,
JSON type swaps, huge numbers, deep nesting, lone surrogates, NaN, dropped lines... It is
imported with ``--format`` set (a fifth of them with ``--format auto``) into a copy of a project
that already holds one document, in a forked worker process with a time limit and a memory
limit, and counted as one of:

- ``error``: one line (our ``AnnotatorError``) naming the file, the project unchanged;
- ``import``: imported, and what was stored is sound (strict JSON, valid labels, no NUL);
- ``traceback``: any other exception (or ``memory``: a ``MemoryError`` under the limit);
- ``hang``: not done within the time limit;
- ``wrong``: imported, but what was stored is not sound, or a mutation that must be refused
  (an offset given as a boolean, a string where a list belongs) was taken;
- ``unnamed``: our error, but on several lines or without the file's name;
- ``dirty``: refused, but the project changed.

``tests/test_fuzz_import.py`` runs a smaller number of cases of the same generator.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import multiprocessing
import os
import random
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = ROOT.parent / "shared" / "fixtures"
FORMATS = (
    "text",
    "jsonl",
    "prodigy",
    "spacy",
    "annotator",
    "brat",
    "doccano",
    "conll",
    "labelstudio",
)
OUTCOMES = ("error", "import", "traceback", "memory", "hang", "wrong", "unnamed", "dirty")
BAD_OUTCOMES = frozenset(OUTCOMES) - {"error", "import"}
MEMORY_HEADROOM = 1536 * 1024 * 1024  # address space the forked worker may add
MAX_LABEL = 100
_MARK = "@@fuzz@@"
AUTO_SHARE = 0.2  # cases imported with --format auto
CHECKED_EXPORTS = ("annotator", "doccano", "labelstudio")  # the JSON ones: strict JSON out
STRUCTURAL_KEYS = {
    # keys whose type the format defines: a type swap there must be refused, not guessed
    "prodigy": {"start", "end", "token_start", "token_end", "spans", "relations", "tokens"},
    "doccano": {"start_offset", "end_offset", "entities", "relations", "from_id", "to_id"},
    "labelstudio": {
        "start",
        "end",
        "labels",
        "result",
        "annotations",
        "predictions",
        "from_id",
        "to_id",
    },
    "annotator": {"start", "end", "head", "child", "spans", "relations", "tokens"},
}


@dataclass
class Case:
    """One malformed input: files to write, which one to import, and what was done to it."""

    number: int
    format: str
    seed: str
    mutation: str
    files: dict[str, bytes]
    source: str  # relative path of the file or folder to import
    must_refuse: bool = False
    detect: bool = False  # import with --format auto: the sniffers see the mutated file too


@dataclass
class Result:
    case: Case
    outcome: str
    detail: str = ""
    seconds: float = 0.0


# --- seeds -------------------------------------------------------------------------------------


SAMPLE = (
    "Marie Curie est née à Varsovie. Elle travaille à Paris avec Pierre Curie.\n"
    "L'Académie des sciences lui décerne un prix en 1903."
)
_SPANS = [(0, 11, "PER"), (22, 30, "LOC"), (50, 55, "LOC"), (61, 72, "PER")]


def _generated_seeds() -> dict[str, list[tuple[str, dict[str, bytes], str]]]:
    """Small valid files of every format, made here so the fuzz runs without fixtures."""
    tokens = _whitespace_tokens(SAMPLE)
    prodigy = {
        "text": SAMPLE,
        "tokens": [{"text": SAMPLE[s:e], "start": s, "end": e, "id": i} for i, (s, e) in tokens],
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in _SPANS],
        "relations": [
            {
                "head": _last_token(tokens, 11),
                "child": _last_token(tokens, 30),
                "label": "BORN_IN",
                "head_span": {"start": 0, "end": 11, "label": "PER"},
                "child_span": {"start": 22, "end": 30, "label": "LOC"},
            }
        ],
        "answer": "accept",
        "_input_hash": 1,
        "_task_hash": 2,
        "meta": {"source": "fuzz", "score": 0.5},
    }
    annotator_line = {
        "format": "annotator/1",
        "text": SAMPLE,
        "status": "done",
        "meta": {"source": "fuzz"},
        "tokens": [[s, e] for _, (s, e) in tokens],
        "spans": [
            {"start": s, "end": e, "label": label, "status": "accepted", "score": 0.9}
            for s, e, label in _SPANS
        ],
        "relations": [{"head": 0, "child": 1, "label": "BORN_IN", "score": None}],
    }
    doccano = {
        "id": 7,
        "text": SAMPLE,
        "entities": [
            {"id": n, "start_offset": s, "end_offset": e, "label": label}
            for n, (s, e, label) in enumerate(_SPANS)
        ],
        "relations": [{"id": 1, "from_id": 0, "to_id": 1, "type": "BORN_IN"}],
        "meta": {"source": "fuzz"},
    }
    regions = [
        {
            "id": f"r{n}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": SAMPLE[s:e], "labels": [label]},
        }
        for n, (s, e, label) in enumerate(_SPANS)
    ]
    relation = {
        "from_id": "r0",
        "to_id": "r1",
        "type": "relation",
        "direction": "right",
        "labels": ["BORN_IN"],
    }
    labelstudio = [
        {
            "id": 1,
            "data": {"text": SAMPLE},
            "annotations": [{"id": 1, "result": [*regions, relation]}],
            "predictions": [{"model_version": "fuzz", "score": 0.4, "result": regions[:2]}],
        }
    ]
    ann = "".join(
        f"T{n + 1}\t{label} {s} {e}\t{SAMPLE[s:e]}\n" for n, (s, e, label) in enumerate(_SPANS)
    )
    ann += "R1\tBorn_in Arg1:T1 Arg2:T2\nA1\tNegated T2\n#1\tAnnotatorNotes T1\tfamous\n"
    conll = "".join(
        f"{SAMPLE[s:e]} {_iob(s, e)}\n" + ("\n" if SAMPLE[s:e] == "Varsovie." else "")
        for _, (s, e) in tokens
    )
    jsonl = [{"text": SAMPLE, "meta": {"source": "fuzz"}}, {"text": "Une autre phrase."}]
    return {
        "text": [("generated", {"doc.txt": SAMPLE.encode()}, "doc.txt")],
        "jsonl": [("generated", {"in.jsonl": _jsonl(jsonl)}, "in.jsonl")],
        "prodigy": [("generated", {"in.jsonl": _jsonl([prodigy])}, "in.jsonl")],
        "annotator": [("generated", {"in.jsonl": _jsonl([annotator_line])}, "in.jsonl")],
        "doccano": [("generated", {"in.jsonl": _jsonl([doccano])}, "in.jsonl")],
        "labelstudio": [
            ("generated", {"in.json": json.dumps(labelstudio, indent=1).encode()}, "in.json")
        ],
        "brat": [("generated", {"doc/a.txt": SAMPLE.encode(), "doc/a.ann": ann.encode()}, "doc")],
        "conll": [("generated", {"in.conll": conll.encode()}, "in.conll")],
        "spacy": [("generated", {"in.spacy": _docbin_bytes(SAMPLE)}, "in.spacy")],
    }


def _whitespace_tokens(text: str) -> list[tuple[int, tuple[int, int]]]:
    tokens, start = [], None
    for index, char in enumerate(text + " "):
        if char.isspace():
            if start is not None:
                tokens.append((start, index))
            start = None
        elif start is None:
            start = index
    return list(enumerate(tokens))


def _last_token(tokens: list[tuple[int, tuple[int, int]]], end: int) -> int:
    return next(i for i, (_, e) in tokens if e >= end)


def _iob(start: int, end: int) -> str:
    for s, e, label in _SPANS:
        if s <= start and end <= e + 1:
            return f"{'B' if start == s else 'I'}-{label}"
    return "O"


def _jsonl(values: list[Any]) -> bytes:
    return "".join(json.dumps(value, ensure_ascii=False) + "\n" for value in values).encode()


def _docbin_bytes(text: str) -> bytes:
    """A DocBin with entities, a span group, cats and ``doc._.rel``, as spaCy writes it."""
    import spacy
    from spacy.tokens import DocBin

    from annotator.io.docbin import ensure_rel_extension

    ensure_rel_extension()
    doc = spacy.blank("fr").make_doc(text)
    spans = [doc.char_span(s, e, label=label, alignment_mode="expand") for s, e, label in _SPANS]
    doc.ents = [span for span in spans if span is not None]
    doc.spans["sc"] = list(doc.ents)
    doc.cats = {"BIO": 1.0, "SCI": 0.25}
    doc._.rel = {(doc.ents[0].start, doc.ents[1].start): {"BORN_IN": 0.9}}
    docbin = DocBin(store_user_data=True)
    docbin.add(doc)
    return docbin.to_bytes()


def _fixture_seeds(fixtures: Path) -> dict[str, list[tuple[str, dict[str, bytes], str]]]:
    """Short excerpts of the real files (a few records each, to keep a case fast)."""
    seeds: dict[str, list[tuple[str, dict[str, bytes], str]]] = {}

    def add(fmt: str, relative: str, files: dict[str, bytes], source: str) -> None:
        seeds.setdefault(fmt, []).append((relative, files, source))

    def head_lines(relative: str, count: int) -> bytes:
        lines = (fixtures / relative).read_bytes().splitlines(keepends=True)
        return b"".join(lines[:count])

    for relative in (
        "prodigy/rel_manual_bio_events.jsonl",
        "prodigy/ner_manual_tweets_with_ignore.jsonl",
        "prodigy/choice_entity_linking_emerson.jsonl",
    ):
        add("prodigy", relative, {"in.jsonl": head_lines(relative, 3)}, "in.jsonl")
    texts = [json.loads(line)["text"] for line in head_lines(PRODIGY_TEXTS, 3).splitlines()]
    plain = _jsonl([{"text": text, "meta": {"n": n}} for n, text in enumerate(texts)])
    add("jsonl", PRODIGY_TEXTS, {"in.jsonl": plain}, "in.jsonl")
    for relative in (
        "doccano/relation_extraction_captier.jsonl",
        "doccano/import_tests/sequence_labeling/example.jsonl",
        "doccano/import_examples/intent_detection/example.jsonl",
    ):
        add("doccano", relative, {"in.jsonl": head_lines(relative, 2)}, "in.jsonl")
    add(
        "doccano",
        "doccano/import_examples/text_classification/example.csv",
        {
            "in.csv": (
                fixtures / "doccano/import_examples/text_classification/example.csv"
            ).read_bytes()
        },
        "in.csv",
    )
    for relative in (
        "labelstudio/kiji-proxy/sample_predictions.json",
        "labelstudio/frontend-examples/named_entity/annotations/1.json",
        "labelstudio/converter-legacy-completions/348.json",
    ):
        add("labelstudio", relative, {"in.json": (fixtures / relative).read_bytes()}, "in.json")
    for relative in (
        "brat/BioNLP-ST_2011/BioNLP-ST_2011_REL/PMID-10438731",
        "brat/BioNLP-ST_2011/BioNLP-ST_2011_EPI/PMID-11393792",
        "brat/NCBI-disease/PMID-10915770",
    ):
        stem = fixtures / relative
        if stem.with_suffix(".txt").is_file():
            files = {
                "doc/a.txt": stem.with_suffix(".txt").read_bytes(),
                "doc/a.ann": stem.with_suffix(".ann").read_bytes(),
            }
            add("brat", relative, files, "doc")
    conll = "conll/fr_europeana_bnf_first2000.bio"
    add("conll", conll, {"in.bio": head_lines(conll, 120)}, "in.bio")
    brat_text = next((fixtures / "brat/tutorials").rglob("*.txt"), None)
    if brat_text is not None:
        add(
            "text",
            str(brat_text.relative_to(fixtures)),
            {"doc.txt": brat_text.read_bytes()},
            "doc.txt",
        )
    return seeds


PRODIGY_TEXTS = "prodigy/ner_news_headlines_binary_mix.jsonl"


def seeds(
    fixtures: Path | None, generated: bool = True
) -> dict[str, list[tuple[str, dict[str, bytes], str]]]:
    """Seed files by format: the generated ones, plus fixture excerpts when ``fixtures`` exist."""
    found = _generated_seeds() if generated else {}
    if fixtures is not None and fixtures.is_dir():
        for fmt, extra in _fixture_seeds(fixtures).items():
            found.setdefault(fmt, []).extend(extra)
    return found


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[random.Random, str, dict[str, bytes], str], tuple[str, bool]]
"""Changes the files in place; returns (what was done, whether the result must be refused)."""


def _main_file(fmt: str, files: dict[str, bytes], source: str) -> str:
    if fmt == "brat":
        return next(name for name in files if name.endswith(".ann"))
    return source


def _mutate_bytes(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    kind = rng.choice(
        ("flip", "truncate", "nul", "bad_utf8", "surrogate_utf8", "delete", "duplicate", "crlf")
    )
    position = rng.randrange(len(data) + 1)
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            if out:
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out), kind
    if kind == "truncate":
        return data[:position], kind
    if kind == "nul":
        return data[:position] + b"\x00" + data[position:], kind
    if kind == "bad_utf8":
        return data[:position] + b"\xff\xfe" + data[position:], kind
    if kind == "surrogate_utf8":
        return data[:position] + b"\xed\xa0\x80" + data[position:], kind
    if kind == "delete":
        return data[:position] + data[position + rng.randint(1, 40) :], kind
    if kind == "duplicate":
        return data[:position] + data[max(0, position - 60) :], kind
    return data.replace(b"\n", b"\r\n"), kind


_RAW_VALUES: dict[str, str] = {
    "huge_int": "9" * 4400,
    "huge_negative": "-" + "9" * 4400,
    "huge_float": "1e999",
    "nan": "NaN",
    "infinity": "Infinity",
    "deep_list": "[" * 12000 + "]" * 12000,
    "deep_object": '{"a":' * 12000 + "1" + "}" * 12000,
    "surrogate": '"\\ud800"',
    "surrogate_pair_half": '"ab\\udfff"',
    "nul_string": '"a\\u0000b"',
}
_VALUES: dict[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "empty_string": "",
    "digits_string": "12",
    "object": {"a": 1},
    "list": [1, 2],
    "zero": 0,
    "negative": -1,
    "float": 1.5,
    "long_label": "L" * 100_001,
    "space_label": "two words",
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _swap(rng: random.Random, value: Any, fmt: str) -> tuple[Any, str, str | None, bool]:
    """``value`` with one node replaced (or a key dropped); returns (value, what, raw, refuse)."""
    paths = [p for p in _paths(value) if p]
    if not paths:
        return value, "no_node", None, False
    target = rng.choice(paths)
    value = copy.deepcopy(value)
    parent = value
    for step in target[:-1]:
        parent = parent[step]
    old = parent[target[-1]]
    where = "/".join(str(step) for step in target)
    if isinstance(parent, dict) and rng.random() < 0.15:
        del parent[target[-1]]
        return value, f"drop {where}", None, False
    name = rng.choice([*_RAW_VALUES, *_VALUES])
    raw = _RAW_VALUES.get(name)
    parent[target[-1]] = _MARK if raw is not None else _VALUES[name]
    key = target[-1] if isinstance(target[-1], str) else None
    new = parent[target[-1]]
    refuse = (
        key in STRUCTURAL_KEYS.get(fmt, set())
        and new is not None
        and raw is None
        and _json_type(new) != _json_type(old)
    )
    if key in ("start", "end", "start_offset", "end_offset") and isinstance(new, bool):
        refuse = fmt in STRUCTURAL_KEYS
    return value, f"{name} at {where}", raw, refuse


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _mutate_json_text(rng: random.Random, text: str, fmt: str) -> tuple[str, str, bool]:
    value = json.loads(text)
    value, what, raw, refuse = _swap(rng, value, fmt)
    out = json.dumps(value, ensure_ascii=False)
    if raw is not None:
        out = out.replace(json.dumps(_MARK), raw, 1)
    return out, what, refuse


def mutate(rng: random.Random, fmt: str, files: dict[str, bytes], source: str) -> tuple[str, bool]:
    """Apply one mutation fitting the format; returns (what was done, must it be refused)."""
    name = _main_file(fmt, files, source)
    data = files[name]
    roll = rng.random()
    json_format = fmt in ("jsonl", "prodigy", "annotator", "doccano", "labelstudio")
    if json_format and not name.endswith(".csv") and roll < 0.65:
        if fmt == "labelstudio":
            text, what, refuse = _mutate_json_text(rng, data.decode("utf-8-sig"), fmt)
            files[name] = text.encode("utf-8", "surrogatepass")
            return f"json {what}", refuse
        lines = data.decode("utf-8").splitlines()
        number = rng.randrange(len(lines))
        lines[number], what, refuse = _mutate_json_text(rng, lines[number], fmt)
        files[name] = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
        return f"json line {number + 1}: {what}", refuse
    if fmt == "spacy" and roll < 0.6:
        return _mutate_docbin(rng, files, name), False
    if fmt in ("brat", "conll", "text") and roll < 0.6:
        return _mutate_lines(rng, fmt, files, name), False
    files[name], what = _mutate_bytes(rng, data)
    return f"bytes {what}", False


_FIELD_VALUES = (
    "9" * 4400,
    "-1",
    "true",
    "",
    "\x00",
    "L" * 100_001,
    "B-",
    "I-PER\x00",
    "1.5",
    "Arg1:T99",
    "Arg2:",
    "\u2028",
)


def _mutate_lines(rng: random.Random, fmt: str, files: dict[str, bytes], name: str) -> str:
    lines = files[name].decode("utf-8", "surrogateescape").split("\n")
    number = rng.randrange(len(lines))
    kind = rng.choice(("field", "field", "drop_line", "duplicate_line", "swap_fields", "no_breaks"))
    line = lines[number]
    if kind == "field":
        fields = line.replace("\t", " \t ").split(" ")
        if fields:
            index = rng.randrange(len(fields))
            fields[index] = rng.choice(_FIELD_VALUES)
        lines[number] = " ".join(fields).replace(" \t ", "\t")
    elif kind == "drop_line":
        del lines[number]
    elif kind == "duplicate_line":
        lines.insert(number, line)
    elif kind == "swap_fields":
        fields = line.split()
        rng.shuffle(fields)
        lines[number] = " ".join(fields)
    else:
        lines = [line for line in lines if line.strip()]
    files[name] = "\n".join(lines).encode("utf-8", "surrogateescape")
    return f"{kind} line {number + 1}"


_DOCBIN_VALUES: tuple[Any, ...] = (None, 7, "x", [], {}, b"\x01\x02\x03", [None], [7], {"a": None})


def _mutate_docbin(rng: random.Random, files: dict[str, bytes], name: str) -> str:
    import srsly

    message = srsly.msgpack_loads(zlib.decompress(files[name]))
    kind = rng.choice(("swap", "swap", "flip_inner", "bomb", "drop"))
    if kind == "bomb":
        files[name] = _bomb(files[name])
        return "docbin bomb (128 MB of tokens)"
    key = rng.choice(sorted(message))
    if kind == "drop":
        del message[key]
        what = f"docbin drop {key}"
    elif kind == "flip_inner" and isinstance(message[key], bytes) and message[key]:
        inner = bytearray(message[key])
        inner[rng.randrange(len(inner))] ^= 0xFF
        message[key] = bytes(inner)
        what = f"docbin flip in {key}"
    else:
        if isinstance(message[key], list) and message[key] and rng.random() < 0.5:
            message[key] = [rng.choice(_DOCBIN_VALUES) for _ in message[key]]
            what = f"docbin swap items of {key}"
        else:
            message[key] = rng.choice(_DOCBIN_VALUES)
            what = f"docbin swap {key}"
    files[name] = zlib.compress(srsly.msgpack_dumps(message))
    return what


@functools.lru_cache(maxsize=4)
def _bomb(docbin: bytes) -> bytes:
    """The DocBin with 128 MB of zero tokens: under 200 KB compressed (made once, it is slow)."""
    import srsly

    message = srsly.msgpack_loads(zlib.decompress(docbin))
    message["tokens"] = bytes(128 * 1024 * 1024)
    return zlib.compress(srsly.msgpack_dumps(message), 9)


def cases(
    count_per_format: int,
    seed: int = 13,
    formats: tuple[str, ...] = FORMATS,
    fixtures: Path | None = DEFAULT_FIXTURES,
    generated: bool = True,
) -> list[Case]:
    """``count_per_format`` mutated cases of each format, the same for the same ``seed``."""
    rng = random.Random(seed)
    by_format = seeds(fixtures, generated)
    out: list[Case] = []
    for fmt in formats:
        for index in range(count_per_format):
            seed_name, seed_files, source = by_format[fmt][index % len(by_format[fmt])]
            files = dict(seed_files)
            what, refuse = mutate(rng, fmt, files, source)
            detect = rng.random() < AUTO_SHARE
            out.append(Case(len(out), fmt, seed_name, what, files, source, refuse, detect))
    return out


# --- running one case --------------------------------------------------------------------------


def _dump(path: Path) -> list[str]:
    """The project's content, table by table (the document order and ids included)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return list(connection.iterdump())


@dataclass
class Runner:
    """Runs cases against copies of one template project (which holds one document)."""

    workdir: Path
    timeout: float = 30.0
    exports: tuple[str, ...] = CHECKED_EXPORTS
    template: Path = field(init=False)
    baseline: list[str] = field(init=False)
    _worker: tuple[int, Connection] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        from annotator.services.importing import import_into_file

        self.template = self.workdir / "template.annotator"
        text = self.workdir / "baseline.txt"
        text.write_text("Un document déjà présent dans le projet.", encoding="utf-8")
        import_into_file(self.template, [text], format="text")
        self.baseline = _dump(self.template)

    def run(self, case: Case) -> Result:
        """The case in the forked worker, within the time limit (a new worker after a hang)."""
        started = time.perf_counter()
        connection = self._connection()
        connection.send(case)
        if not connection.poll(self.timeout):
            self.close()
            return Result(case, "hang", f"over {self.timeout:g} s", time.perf_counter() - started)
        try:
            outcome, detail = connection.recv()
        except EOFError:  # killed: by the kernel (memory), or a crash of the interpreter
            self.close()
            outcome, detail = "traceback", "the worker died"
        if outcome in BAD_OUTCOMES:
            self.close()  # what went wrong may have left the worker in a bad state
        return Result(case, outcome, detail, time.perf_counter() - started)

    def _connection(self) -> Connection:
        """The pipe to a worker forked from this process: cheaper than a fork per case, and as
        isolated (each case has its own files and project; a worker that went wrong is
        replaced)."""
        if self._worker is None:
            parent, child = multiprocessing.Pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                parent.close()
                self._serve(child)
                os._exit(0)
            child.close()
            self._worker = (pid, parent)
        return self._worker[1]

    def _serve(self, connection: Connection) -> None:
        _limit_memory()
        while True:
            try:
                case = connection.recv()
            except EOFError:
                return
            try:
                result = self._child(case)
            except BaseException as error:  # the fuzz harness itself failed
                result = ("traceback", f"harness: {error!r}")
            connection.send(result)

    def close(self) -> None:
        """Stop the worker, if one runs."""
        if self._worker is not None:
            pid, connection = self._worker
            self._worker = None
            connection.close()
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)

    def _child(self, case: Case) -> tuple[str, str]:
        from annotator.errors import AnnotatorError
        from annotator.services.importing import import_into_file

        folder = Path(tempfile.mkdtemp(dir=self.workdir))
        inputs = folder / "input"
        for name, data in case.files.items():
            target = inputs / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        project = folder / "project.annotator"
        shutil.copyfile(self.template, project)
        try:
            fmt = "auto" if case.detect else case.format
            import_into_file(project, [inputs / case.source], format=fmt)
        except AnnotatorError as error:
            message = str(error)
            if "\n" in message or str(inputs) not in message:
                return "unnamed", message[:300]
            if _dump(project) != self.baseline:
                return "dirty", message[:300]
            return "error", message.replace(str(inputs) + "/", "")[:300]
        except MemoryError:
            return "memory", "MemoryError"
        except BaseException as error:  # what the fuzz is looking for
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            return "traceback", f"{type(error).__name__} at {where}: {str(error)[:200]}"
        problem = unsound(project, self.exports)
        if problem:
            return "wrong", problem
        if case.must_refuse and not case.detect:  # detected as another format, it may fit
            return "wrong", "taken, though it must be refused"
        return "import", ""


def _limit_memory() -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    limit = size + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _strict_json(value: Any) -> None:
    json.dumps(value, allow_nan=False).encode("utf-8")


def _bad_label(label: str) -> bool:
    return (
        not label
        or len(label) > MAX_LABEL
        or any(c.isspace() or c == "\x00" for c in label)
        or not label.isprintable()
    )


def unsound(path: Path, exports: tuple[str, ...] = CHECKED_EXPORTS) -> str:
    """What is wrong with a project's stored content ("" when nothing): the checks every
    import must leave true, and strict-JSON ``exports``."""
    from annotator.services.exporting import export_project
    from annotator.services.tokenizing import ensure_tokens
    from annotator.store import Project

    with Project.open(path) as project:
        ensure_tokens(project)  # the import leaves them for later: every text must tokenize
        for doc_id in project.document_ids():
            document = project.document(doc_id)
            try:
                document.text.encode("utf-8")
                _strict_json(document.meta)
            except (ValueError, UnicodeEncodeError) as error:
                return f"document {doc_id}: {error}"
            if "\x00" in document.text:
                return f"document {doc_id}: NUL in its text"
            for item in [*project.spans(doc_id), *project.relations(doc_id)]:
                if _bad_label(item.label):
                    return f"document {doc_id}: label {item.label[:40]!r}"
                if item.score is not None and not math.isfinite(item.score):
                    return f"document {doc_id}: score {item.score}"
        for name in project.schema.entity_names + project.schema.relation_names:
            if _bad_label(name):
                return f"schema label {name[:40]!r}"
        for fmt in exports:
            output = path.parent / f"export-{fmt}.json"
            export_project(project, format=fmt, output=output, status="all", spans="all")
            text = output.read_text(encoding="utf-8")
            try:
                if fmt == "labelstudio":
                    json.loads(text, parse_constant=_refuse_constant)
                else:
                    for line in text.split("\n")[:-1]:  # not splitlines(): U+2028 is text
                        json.loads(line, parse_constant=_refuse_constant)
            except ValueError as error:
                return f"{fmt} export is not strict JSON: {error}"
    return ""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} in the output")


# --- command line ------------------------------------------------------------------------------


def run_cases(all_cases: list[Case], timeout: float, show: int = 0) -> Counter[str]:
    counts: Counter[str] = Counter()
    bad: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="fuzz-import-") as workdir:
        runner = Runner(Path(workdir), timeout)
        try:
            for case in all_cases:
                result = runner.run(case)
                counts[result.outcome] += 1
                counts[f"{case.format}:{result.outcome}"] += 1
                if result.outcome in BAD_OUTCOMES:
                    bad.append(result)
        finally:
            runner.close()
    for result in bad[: show or 0]:
        print(
            f"  {result.outcome:9} {result.case.format:11} #{result.case.number} "
            f"{result.case.seed} | {result.case.mutation[:60]} | {result.detail[:160]}"
        )
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=900, help="cases in all (split by format)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a case may take")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--show", type=int, default=20, help="bad cases to print")
    args = parser.parse_args(argv)
    formats = tuple(args.formats.split(","))
    per_format = max(1, args.cases // len(formats))
    all_cases = cases(per_format, args.seed, formats, args.fixtures)
    started = time.perf_counter()
    counts = run_cases(all_cases, args.timeout, args.show)
    print(f"{len(all_cases)} cases in {time.perf_counter() - started:.0f} s (seed {args.seed})")
    print("  " + "  ".join(f"{name} {counts[name]}" for name in OUTCOMES))
    for fmt in formats:
        row = "  ".join(f"{name} {counts[f'{fmt}:{name}']}" for name in OUTCOMES)
        print(f"  {fmt:11} {row}")
    return 1 if any(counts[name] for name in BAD_OUTCOMES) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
