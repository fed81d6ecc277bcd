"""Import speed and memory: ``import_sources`` against a raw sqlite-utils ``insert_all``.

    .venv/bin/python benchmarks/bench_import.py               # 10,000 and 100,000 documents
    .venv/bin/python benchmarks/bench_import.py --sizes 1000  # a quick run

For each size it writes the issue-14 corpus (``benchmarks/corpus.py``, seed 14: ~800-token
French news-like documents with 33 entity spans and 3 relations each) as doccano JSONL, then
runs, each in a fresh process so that peak memory (max RSS) is that run's alone:

- ours: ``import_sources`` (read, check, tokenize with spaCy, store text, meta, tokens,
  spans with their alignment flag and relations, one transaction; loading the spaCy
  tokenizer, once per process, is left out);
- raw: sqlite-utils ``insert_all`` of the same documents (text, hash, meta, status), spans and
  relations into tables of the same columns, JSON parsing included; no tokens, no checks.

Prints a Markdown table with wall-clock and CPU seconds (CPU is the fairer figure on a
loaded machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

from corpus import Timer, figures, in_new_process, markdown_table, write_corpus


def run_ours(source: Path, project_path: Path) -> dict[str, float]:
    from annotator.io import tokenize
    from annotator.services.importing import import_sources
    from annotator.store import Project

    project = Project.create(project_path)
    tokenize.blank(project.settings.lang)  # once per process, not timed
    with Timer() as timer:
        report = import_sources(project, [source], format="doccano")
    project.close()
    return figures(
        timer.seconds,
        timer.cpu_seconds,
        documents=report.documents,
        spans=report.spans,
        relations=report.relations,
    )


def _raw_rows(source: Path, spans: list[dict], relations: list[dict]):
    with source.open(encoding="utf-8") as handle:
        for doc_id, line in enumerate(handle, start=1):
            task = json.loads(line)
            text = task["text"]
            ids = {}
            for entity in task["entities"]:
                ids[entity["id"]] = span_id = hashlib.md5(f"{doc_id}-{entity['id']}".encode())
                spans.append(
                    {
                        "id": span_id.hexdigest(),
                        "doc_id": doc_id,
                        "start": entity["start_offset"],
                        "end": entity["end_offset"],
                        "label": entity["label"],
                        "origin": "import:doccano",
                        "status": "accepted",
                        "score": None,
                        "edited": 0,
                        "aligned": 1,
                    }
                )
            for relation in task["relations"]:
                relations.append(
                    {
                        "id": hashlib.md5(f"{doc_id}-r{relation['id']}".encode()).hexdigest(),
                        "doc_id": doc_id,
                        "head": ids[relation["from_id"]].hexdigest(),
                        "child": ids[relation["to_id"]].hexdigest(),
                        "label": relation["type"],
                        "origin": "import:doccano",
                        "status": "accepted",
                        "score": None,
                    }
                )
            yield {
                "id": doc_id,
                "text": text,
                "text_hash": hashlib.sha1(text.encode("utf-8")).hexdigest(),
                "meta": json.dumps({"doccano": {"id": task["id"]}}, ensure_ascii=False),
                "status": "in_progress",
            }


def run_raw(source: Path, database_path: Path) -> dict[str, float]:
    from sqlite_utils import Database

    db = Database(database_path)
    with Timer() as timer, db.conn:
        documents: list[dict] = []
        spans: list[dict] = []
        relations: list[dict] = []
        for row in _raw_rows(source, spans, relations):
            documents.append(row)
            if len(documents) >= 1000:
                _insert(db, documents, spans, relations)
        _insert(db, documents, spans, relations)
    counts = {table: db[table].count for table in ("documents", "spans", "relations")}
    db.close()
    return figures(timer.seconds, timer.cpu_seconds, **counts)


def _insert(db, *batches: list[dict]) -> None:
    for table, rows in zip(("documents", "spans", "relations"), batches, strict=True):
        db[table].insert_all(rows, pk="id", batch_size=1000)
        rows.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated counts")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "SOURCE", "TARGET"))
    args = parser.parse_args()
    if args.worker:
        kind, source, target = args.worker
        print(json.dumps((run_ours if kind == "ours" else run_raw)(Path(source), Path(target))))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"corpus-{size}.jsonl"
            write_corpus(source, size)
            ours = in_new_process(__file__, "ours", str(source), f"{folder}/ours-{size}.annotator")
            raw = in_new_process(__file__, "raw", str(source), f"{folder}/raw-{size}.db")
            assert ours["documents"] == raw["documents"] == size, (ours, raw)
            assert ours["spans"] == raw["spans"] and ours["relations"] == raw["relations"]
            rows.append(
                (
                    f"{size:,}",
                    f"{ours['spans']:,}",
                    f"{ours['relations']:,}",
                    f"{source.stat().st_size / 1e6:.0f}",
                    f"{ours['seconds']:.2f}",
                    f"{raw['seconds']:.2f}",
                    f"{ours['cpu_seconds']:.2f}",
                    f"{raw['cpu_seconds']:.2f}",
                    f"{raw['cpu_seconds'] / ours['cpu_seconds']:.2f}x",
                    f"{ours['max_rss_mb']:.0f}",
                    f"{raw['max_rss_mb']:.0f}",
                )
            )
    header = (
        "documents",
        "spans",
        "relations",
        "JSONL MB",
        "ours s",
        "raw s",
        "ours CPU s",
        "raw CPU s",
        "ours speed vs raw (CPU)",
        "ours peak RSS MB",
        "raw peak RSS MB",
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
