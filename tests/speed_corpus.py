"""A small corpus with every case the fast import and export paths must keep (not a test module).

``build`` imports three files into a fresh project: doccano JSONL (spans off token boundaries,
overlapping spans, relations, a text repeated within the file and a span listed twice), our
own JSONL (suggested and rejected spans and relations, file tokens, documents done) and a
Prodigy file with its tokens. ``export_all`` writes every format from it. Span and relation ids
are random, so ``normalized`` numbers them in order of appearance before comparing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project

GOLDEN = Path(__file__).parent / "golden" / "speed"
TEXT = "Brad Smith, président de Microsoft, a parlé à Paris jeudi avec la Chine."
_HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _doccano_lines() -> list[dict]:
    lines = []
    for number in range(4):
        text = f"{TEXT} Dépêche {number}."
        lines.append(
            {
                "id": number,
                "text": text,
                "meta": {"n": number},
                "entities": [
                    {"id": 1, "start_offset": 0, "end_offset": 10, "label": "PER"},
                    {"id": 2, "start_offset": 0, "end_offset": 4, "label": "PER"},  # overlap
                    {"id": 3, "start_offset": 25, "end_offset": 34, "label": "ORG"},
                    {"id": 4, "start_offset": 47, "end_offset": 51, "label": "LOC"},
                    {"id": 5, "start_offset": 64, "end_offset": 72, "label": "LOC"},
                    {"id": 6, "start_offset": 2, "end_offset": 8, "label": "MISC"},  # misaligned
                    {"id": 7, "start_offset": 25, "end_offset": 34, "label": "ORG"},  # twice
                ],
                "relations": [
                    {"id": 1, "from_id": 1, "to_id": 3, "type": "works_for"},
                    {"id": 2, "from_id": 3, "to_id": 4, "type": "located_in"},
                ],
            }
        )
    lines.append(dict(lines[1], id=9, meta={"repeat": True}))  # the same text again
    return lines


def _annotator_lines() -> list[dict]:
    text = "Marie Curie travaille pour Renault à Lyon."
    tokens = [[0, 5], [6, 11], [12, 21], [22, 26], [27, 34], [35, 36], [37, 41], [41, 42]]
    spans = [
        {"start": 0, "end": 11, "label": "PER", "status": "accepted", "origin": "human"},
        {"start": 27, "end": 34, "label": "ORG", "status": "suggested", "origin": "model:x@1"},
        {"start": 37, "end": 41, "label": "LOC", "status": "rejected", "origin": "model:x@1"},
        {"start": 3, "end": 11, "label": "PER", "status": "accepted", "origin": "human"},
    ]
    relations = [
        {"head": 0, "child": 1, "label": "works_for", "status": "suggested", "origin": "rule:a"},
        {"head": 1, "child": 2, "label": "located_in", "status": "accepted", "origin": "human"},
    ]
    return [
        {
            "format": "annotator/1",
            "text": f"{text} {number}" if number else text,
            "status": status,
            "meta": {"k": number},
            "tokens": tokens + ([[43, 44]] if number else []),
            "spans": spans,
            "relations": relations,
        }
        for number, status in enumerate(("done", "in_progress", "done"))
    ]


def _prodigy_lines() -> list[dict]:
    text = "Satya Nadella dirige Microsoft."
    return [
        {
            "text": text,
            "tokens": [
                {"text": "Satya", "start": 0, "end": 5, "id": 0, "ws": True},
                {"text": "Nadella", "start": 6, "end": 13, "id": 1, "ws": True},
                {"text": "dirige", "start": 14, "end": 20, "id": 2, "ws": True},
                {"text": "Microsoft", "start": 21, "end": 30, "id": 3, "ws": False},
                {"text": ".", "start": 30, "end": 31, "id": 4, "ws": False},
            ],
            "spans": [
                {"start": 0, "end": 13, "token_start": 0, "token_end": 1, "label": "PER"},
                {"start": 21, "end": 30, "token_start": 3, "token_end": 3, "label": "ORG"},
            ],
            "answer": "accept",
            "_input_hash": 1,
            "_task_hash": 2,
        }
    ]


def _write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    return path


def build(folder: Path) -> Project:
    """A project holding the corpus, every document done but one."""
    project = Project.create(folder / "golden.annotator")
    sources = [
        _write_jsonl(folder / "doccano.jsonl", _doccano_lines()),
        _write_jsonl(folder / "ours.jsonl", _annotator_lines()),
        _write_jsonl(folder / "prodigy.jsonl", _prodigy_lines()),
    ]
    import_sources(project, sources[:1], format="doccano")
    import_sources(project, sources[1:2], format="annotator")
    import_sources(project, sources[2:], format="prodigy")
    for doc_id in project.document_ids():
        if doc_id != 2:
            project.set_document_status(doc_id, "done")
    return project


EXPORTS = {  # name -> (format, status, spans)
    "doccano.jsonl": ("doccano", "all", "all"),
    "prodigy.jsonl": ("prodigy", "all", "all"),
    "annotator.jsonl": ("annotator", "all", "all"),
    "annotator-accepted.jsonl": ("annotator", "done", "accepted"),
    "labelstudio.json": ("labelstudio", "all", "all"),
    "conll.conll": ("conll", "all", "accepted"),
    "biluo.conll": ("conll-biluo", "all", "accepted"),
    "brat": ("brat", "all", "all"),
    "train.spacy": ("spacy", "all", "all"),
    "done.spacy": ("spacy", "done", "accepted"),
}


def export_all(project: Project, folder: Path) -> dict[str, bytes]:
    """Every export of ``EXPORTS``: file name (inside a folder export too) -> its bytes."""
    written: dict[str, bytes] = {}
    for name, (format, status, spans) in EXPORTS.items():
        output = folder / name
        split = (1.0,) if format == "spacy" else None
        export_project(project, format, output, status=status, spans=spans, split=split)
        files = (
            sorted(
                p
                for p in output.rglob("*")
                # the manifest lists checksums of files holding random ids: bookkeeping, not content
                if p.is_file() and p.name != ".annotator-export.json"
            )
            if output.is_dir()
            else [output]
        )
        for file in files:
            key = name if file == output else f"{name}/{file.relative_to(output)}"
            written[key] = file.read_bytes()
    return written


def normalized(data: bytes) -> bytes:
    """Ids numbered in order of appearance: the same content gives the same bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    numbers: dict[str, str] = {}
    return _HEX_ID.sub(
        lambda match: numbers.setdefault(match.group(0), f"id{len(numbers):030d}"), text
    ).encode("utf-8")
