"""Import speed and memory: ``import_sources`` against raw inserts of the same rows.

    .venv/bin/python benchmarks/bench_import.py               # 10,000 and 100,000 documents
    .venv/bin/python benchmarks/bench_import.py --sizes 1000  # a quick run

For each size it writes the issue-14 corpus (``benchmarks/corpus.py``, seed 14: ~800-token
French news-like documents with 33 entity spans and 3 relations each) as doccano JSONL, then
runs, each in a fresh process so that peak memory (max RSS) is that run's alone:

- ours: ``import_sources`` (read, check, store text, meta, spans and relations, one
  transaction; tokens are made on first need, and the text filter's index after the import,
  so neither here; the records read and checked in a second process, as for any file of 16
  MiB or more on two cores, whose CPU and memory are counted with ours), and the same with
  every record read in its one process, as a smaller file is; then, timed apart, the two
  passes left for later: the text index as the
  window builds it in the background (``ensure_text_index``, batches of
  ``indexing.BATCH_DOCUMENTS``), and the tokenizing pass ``ensure_tokens`` over every
  document (its tokenizer's load left out);
- raw: sqlite-utils ``insert_all`` of the same documents (text, hash, meta, status), spans and
  relations into tables of the same columns, JSON parsing included; no tokens, no checks (the
  baseline issue 14 names);
- raw executemany: the same rows as plain tuples through ``sqlite3`` ``executemany`` in one
  transaction (sqlite-utils' multi-row statements and per-value JSON checks cost more than the
  inserts): the stricter baseline; no text index, no checks either;
- end to end: ``annotator import`` of the file into a new project, then ``annotator export
  --format doccano --status all --spans all``, two commands as a user runs them (process
  start-up and imports included), with the peak RSS of each (the import's plus its reading
  process').

Prints Markdown tables with wall-clock and CPU seconds (CPU is the fairer figure on a
loaded machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus import (
    ROOT,
    Timer,
    figures,
    in_new_process,
    markdown_table,
    run_watched,
    write_corpus,
)


def run_ours_read_here(source: Path, project_path: Path) -> dict[str, float]:
    """``run_ours`` with every record read and checked in this one process, as an import of
    a small file or on one core does (``importing.READ_APART_FROM``)."""
    from annotator.services import importing

    importing.READ_APART_FROM = 1 << 62
    return run_ours(source, project_path)


def run_ours(source: Path, project_path: Path) -> dict[str, float]:
    from annotator.services.importing import import_sources
    from annotator.services.indexing import ensure_text_index
    from annotator.services.tokenizing import ensure_tokens, load_tokenizer
    from annotator.store import Project

    project = Project.create(project_path)
    with Timer() as timer:
        report = import_sources(project, [source], format="doccano")
    imported = figures(
        timer.seconds,
        timer.cpu_seconds,
        documents=report.documents,
        spans=report.spans,
        relations=report.relations,
    )
    with Timer() as indexing:
        ensure_text_index(project)
    load_tokenizer(project.settings.lang)  # once per process, not timed
    with Timer() as tokenizing:
        ensure_tokens(project)
    project.close()
    return {
        **imported,
        "index_seconds": indexing.seconds,
        "index_cpu_seconds": indexing.cpu_seconds,
        "tokenize_seconds": tokenizing.seconds,
        "tokenize_cpu_seconds": tokenizing.cpu_seconds,
    }


def run_commands(source: Path, project_path: Path) -> dict[str, float]:
    """``annotator import`` then ``annotator export --format doccano``, each its own process:
    wall and CPU seconds (children's user + system) and peak RSS of each."""
    output = project_path.with_suffix(".out.jsonl")
    commands = {
        "import": ["import", str(project_path), str(source), "--format", "doccano"],
        "export": [
            "export",
            str(project_path),
            "--format",
            "doccano",
            "--status",
            "all",
            "--spans",
            "all",
            "--output",
            str(output),
        ],
    }
    measured: dict[str, float] = {}
    for name, arguments in commands.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        peak = run_watched(
            [sys.executable, "-m", "annotator", *arguments], cwd=ROOT, stdout=subprocess.DEVNULL
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        measured[f"{name}_seconds"] = time.perf_counter() - started
        # the command's and its reading process' (waited for by the command)
        measured[f"{name}_cpu_seconds"] = (after.ru_utime - before.ru_utime) + (
            after.ru_stime - before.ru_stime
        )
        # the command's peak RSS plus its reading process' (both alive at once)
        measured[f"{name}_max_rss_mb"] = peak
    measured["lines"] = sum(1 for _ in output.open(encoding="utf-8"))
    return measured


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


_RAW_TABLES = {  # the columns _raw_rows gives, in its order; the id is the primary key
    "documents": "id INTEGER PRIMARY KEY, text TEXT, text_hash TEXT, meta TEXT, status TEXT",
    "spans": "id TEXT PRIMARY KEY, doc_id INTEGER, start INTEGER, end INTEGER, label TEXT, "
    "origin TEXT, status TEXT, score FLOAT, edited INTEGER, aligned INTEGER",
    "relations": "id TEXT PRIMARY KEY, doc_id INTEGER, head TEXT, child TEXT, label TEXT, "
    "origin TEXT, status TEXT, score FLOAT",
}


def run_executemany(source: Path, database_path: Path) -> dict[str, float]:
    """The same rows as ``run_raw``, as tuples through plain ``executemany``, one transaction."""
    conn = sqlite3.connect(database_path, isolation_level=None)
    for table, columns in _RAW_TABLES.items():
        conn.execute(f"CREATE TABLE {table} ({columns})")
    with Timer() as timer:
        conn.execute("BEGIN")
        batches: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
        for row in _raw_rows(source, batches[1], batches[2]):
            batches[0].append(row)
            if len(batches[0]) >= 1000:
                _execute_many(conn, *batches)
        _execute_many(conn, *batches)
        conn.execute("COMMIT")
    counts = {
        table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in _RAW_TABLES
    }
    conn.close()
    return figures(timer.seconds, timer.cpu_seconds, **counts)


def _execute_many(conn: sqlite3.Connection, *batches: list[dict]) -> None:
    for table, rows in zip(_RAW_TABLES, batches, strict=True):
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(
                f"INSERT INTO {table} VALUES ({marks})", [tuple(r.values()) for r in rows]
            )
        rows.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated counts")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "SOURCE", "TARGET"))
    args = parser.parse_args()
    if args.worker:
        kind, source, target = args.worker
        run = {
            "ours": run_ours,
            "ours-read-here": run_ours_read_here,
            "raw": run_raw,
            "executemany": run_executemany,
            "commands": run_commands,
        }[kind]
        print(json.dumps(run(Path(source), Path(target))))
        return
    rows = []
    command_rows = []
    index_lines = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"corpus-{size}.jsonl"
            write_corpus(source, size)
            ours = in_new_process(__file__, "ours", str(source), f"{folder}/ours-{size}.annotator")
            here = in_new_process(
                __file__, "ours-read-here", str(source), f"{folder}/here-{size}.annotator"
            )
            raw = in_new_process(__file__, "raw", str(source), f"{folder}/raw-{size}.db")
            plain = in_new_process(
                __file__, "executemany", str(source), f"{folder}/executemany-{size}.db"
            )
            both = in_new_process(__file__, "commands", str(source), f"{folder}/cli-{size}.p")
            assert ours["documents"] == raw["documents"] == both["lines"] == size, (ours, raw)
            command_rows.append(
                (
                    f"{size:,}",
                    f"{both['import_seconds']:.2f}",
                    f"{both['export_seconds']:.2f}",
                    f"{both['import_seconds'] + both['export_seconds']:.2f}",
                    f"{both['import_cpu_seconds']:.2f}",
                    f"{both['export_cpu_seconds']:.2f}",
                    f"{both['import_cpu_seconds'] + both['export_cpu_seconds']:.2f}",
                    f"{both['import_max_rss_mb']:.0f}",
                    f"{max(both['import_max_rss_mb'], both['export_max_rss_mb']):.0f}",
                )
            )
            for baseline in (raw, plain):
                assert (ours["spans"], ours["relations"]) == (
                    baseline["spans"],
                    baseline["relations"],
                ), (ours, baseline)
            rows.append(
                (
                    f"{size:,}",
                    f"{ours['spans']:,}",
                    f"{ours['relations']:,}",
                    f"{source.stat().st_size / 1e6:.0f}",
                    f"{ours['seconds']:.2f}",
                    f"{raw['seconds']:.2f}",
                    f"{plain['seconds']:.2f}",
                    f"{ours['cpu_seconds']:.2f}",
                    f"{raw['cpu_seconds']:.2f}",
                    f"{plain['cpu_seconds']:.2f}",
                    f"{raw['cpu_seconds'] / ours['cpu_seconds']:.2f}x",
                    f"{plain['cpu_seconds'] / ours['cpu_seconds']:.2f}x",
                    f"{ours['max_rss_mb']:.0f}",
                    f"{raw['max_rss_mb']:.0f}",
                    f"{ours['index_cpu_seconds']:.2f}",
                    f"{ours['tokenize_cpu_seconds']:.2f}",
                )
            )
            assert (here["documents"], here["spans"]) == (ours["documents"], ours["spans"])
            index_lines.append(
                f"{size:,} documents: ours with every record read in its one process (a small "
                f"file's way, or one core's): {here['seconds']:.2f} s ({here['cpu_seconds']:.2f}"
                f" CPU s, peak {here['max_rss_mb']:.0f} MB), against {ours['seconds']:.2f} s "
                f"({ours['cpu_seconds']:.2f} CPU s) read on the second core"
            )
            index_lines.append(
                f"{size:,} documents: the text index, built after the import (the window's "
                f"background pass): {ours['index_seconds']:.2f} s ({ours['index_cpu_seconds']:.2f}"
                " CPU s), not in the import's figures above"
            )
    header = (
        "documents",
        "spans",
        "relations",
        "JSONL MB",
        "ours s",
        "raw insert_all s",
        "raw executemany s",
        "ours CPU s",
        "raw insert_all CPU s",
        "raw executemany CPU s",
        "ours speed vs insert_all (CPU; goal >= 0.5x)",
        "ours speed vs executemany (CPU)",
        "ours peak RSS MB",
        "raw insert_all peak RSS MB",
        "later: text index CPU s",
        "later: tokenizing pass CPU s",
    )
    print(markdown_table(header, rows))
    print()
    print("\n".join(index_lines))
    print()
    print(
        markdown_table(
            (
                "documents",
                "annotator import s",
                "annotator export --format doccano s",
                "total s (goal <= 6.3)",
                "import CPU s",
                "export CPU s",
                "total CPU s",
                "import peak RSS MB",
                "peak RSS MB of both (goal <= 325)",
            ),
            command_rows,
        )
    )


if __name__ == "__main__":
    main()
