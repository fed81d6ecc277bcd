"""Export speed and memory, every format, against a raw write of the same records.

    .venv/bin/python benchmarks/bench_export.py                       # 10,000 and 100,000
    .venv/bin/python benchmarks/bench_export.py --sizes 1000 --formats doccano,spacy

For each size it imports the issue-14 corpus (``benchmarks/corpus.py``, seed 14: ~800-token
French news-like documents, 33 entity spans and 3 relations each) into a project and makes its
tokens (not timed: an import leaves them for the first export that needs them), then for each
format runs, each in a fresh process so that peak memory is that run's alone:

- ours: ``export_project(status="all")`` from the project file (documents, tokens, spans,
  relations and the edit log read, selection, misaligned spans handled, staged write and move,
  export event logged); ``spacy`` with ``--split 1``. The format's writer module is imported
  before the timer starts (numpy with it, for CoNLL: 0.08 CPU s), as raw's modules are: both
  columns time the export, not the interpreter's start-up, which the command row does;
- raw: the same records written with nothing else. Our output is read back into records in
  memory first (not timed); then, timed, the plainest code formats and writes them, byte for
  byte as ours did (checked after each run, not timed: the last column):

  - doccano, prodigy, annotator JSONL: each line's object, ``json.dumps`` per line with the
    options our writer uses (``JSON_OPTIONS``: doccano's ASCII only, the others' UTF-8), one
    write per line;
  - Label Studio: the file's task objects, ``json.dumps`` per task, one task a line as ours;
  - CoNLL: each document's sentences as lists of ``(token text, tag)`` rows, written as
    ``-DOCSTART- O`` then one ``f"{token} {tag}\n"`` write per row and a blank line after each
    sentence;
  - brat: each document's file name and text, its T lines' fields ``(id, label, start, end,
    covered text)`` and its R lines' fields ``(id, label, head id, child id)``, written as a
    ``.txt`` and an ``.ann`` file (one ``f"..."`` write per line), plus the two ``.conf`` files'
    contents;
  - spaCy: the Docs (read back from our DocBin files), ``DocBin(docs=...).to_disk`` per file.

- doccano and brat also against the plainest code that does the whole job from the same
  project file, reading included (``run_sqlite``: ``sqlite3`` queries, then as raw writes; the
  same bytes again): the raw write starts from records in memory, so it leaves out the reading
  that every export from this store has to do.

Each format runs ``--repeat`` times (5 unless told), ours and raw in turns, and the table gives
the medians: on this machine one run's CPU seconds move by 20 to 50 %. Prints a Markdown table
with wall-clock and CPU seconds (CPU is the fairer figure on a loaded machine), the kernel's
share of them ("system"), ``raw CPU / ours CPU``, where 1.00x would be as fast as the raw
write, and the same for the CPU outside the kernel ("user"): creating brat's 20,000 files
costs the kernel from 0.6 to 9 s depending on what was deleted on the disk before, for ours
and raw alike, and that swamps the ratio of CPU.
With doccano among the formats, a last row times the command a user runs,
``annotator export P --format doccano --status all --spans all --output F``, as a whole
process (start-up included; its CPU from the child's resource usage).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from corpus import (
    ENVIRONMENT,
    ROOT,
    Timer,
    compiled,
    figures,
    in_new_process,
    markdown_table,
    write_corpus,
)

FORMATS = ("doccano", "prodigy", "annotator", "labelstudio", "conll", "brat", "spacy")


def run_setup(source: Path, project_path: Path) -> dict[str, float]:
    from annotator.services.importing import import_sources
    from annotator.services.tokenizing import ensure_tokens
    from annotator.store import Project

    with Project.create(project_path) as project:
        with Timer() as timer:
            report = import_sources(project, [source], format="doccano")
        ensure_tokens(project)
    return figures(timer.seconds, timer.cpu_seconds, documents=report.documents)


def run_command(project_path: Path, output: Path) -> dict[str, float]:
    """``annotator export ... --format doccano`` as its own process: wall and CPU seconds."""
    command = [sys.executable, "-m", "annotator", "export", str(project_path)]
    command += ["--format", "doccano", "--status", "all", "--spans", "all"]
    compiled()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with Timer() as timer:
        subprocess.run(
            [*command, "--output", str(output)],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env=ENVIRONMENT,
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return figures(timer.seconds, cpu)


def run_ours(format: str, project_path: Path, output: Path) -> dict[str, float]:
    from annotator.io.registry import WRITERS
    from annotator.services.exporting import export_project
    from annotator.store import Project

    WRITERS[format]  # its module imported before the timer, as raw's modules are (see above)

    split = (1.0,) if format == "spacy" else None
    with Project.open(project_path) as project, Timer() as timer:
        report = export_project(project, format, output, status="all", split=split)
    return figures(
        timer.seconds,
        timer.cpu_seconds,
        documents=report.documents,
        system_seconds=timer.system_seconds,
    )


def _files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else [output]


def run_raw(format: str, ours: Path, output: Path) -> dict[str, float]:
    """Write what ours wrote, from records already in memory, with the plainest code."""
    files = [path for path in _files(ours) if not path.name.startswith(".")]
    output.mkdir()
    if format == "spacy":
        import spacy
        from spacy.tokens import DocBin

        from annotator.io.docbin_writer import ensure_rel_extension

        ensure_rel_extension()
        vocab = spacy.blank("fr").vocab
        parts = [list(DocBin().from_disk(path).get_docs(vocab)) for path in files]
        with Timer() as timer:
            for number, docs in enumerate(parts):
                DocBin(docs=docs, store_user_data=True).to_disk(output / f"{number}.spacy")
    elif format == "conll":
        documents = [_conll_records(path.read_text(encoding="utf-8")) for path in files]
        with Timer() as timer:
            for number, sentences_of_file in enumerate(documents):
                with (output / str(number)).open("w", encoding="utf-8") as handle:
                    for sentences in sentences_of_file:
                        handle.write("-DOCSTART- O\n\n")
                        for sentence in sentences:
                            for token, tag in sentence:
                                handle.write(f"{token} {tag}\n")
                            handle.write("\n")
    elif format == "brat":
        pairs, confs = _brat_records(files)
        with Timer() as timer:
            for name, text, entities, relations in pairs:
                (output / f"{name}.txt").write_text(text, encoding="utf-8")
                with (output / f"{name}.ann").open("w", encoding="utf-8") as handle:
                    for key, label, start, end, covered in entities:
                        handle.write(f"{key}\t{label} {start} {end}\t{covered}\n")
                    for key, label, head, child in relations:
                        handle.write(f"{key}\t{label} Arg1:{head} Arg2:{child}\t\n")
            for name, content in confs:
                (output / name).write_text(content, encoding="utf-8")
    elif format == "labelstudio":
        tasks = [json.loads(path.read_text(encoding="utf-8")) for path in files]
        with Timer() as timer:
            for number, data in enumerate(tasks):  # as ours: one task a line
                lines = [json.dumps(task, **JSON_OPTIONS[format]) for task in data]
                (output / str(number)).write_text(
                    "[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8"
                )
    else:
        lines = [
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            for path in files
        ]
        options = JSON_OPTIONS[format]
        with Timer() as timer:
            for number, records in enumerate(lines):
                with (output / str(number)).open("w", encoding="utf-8") as handle:
                    for record in records:
                        handle.write(json.dumps(record, **options) + "\n")
    return figures(
        timer.seconds,
        timer.cpu_seconds,
        system_seconds=timer.system_seconds,
        same_bytes=_same_bytes(format, files, ours, output),
    )


JSON_OPTIONS: dict[str, dict[str, Any]] = {
    "doccano": {},  # ASCII only, as ours: doccano's encoding detection misreads UTF-8
    "prodigy": {"ensure_ascii": False},
    "annotator": {"ensure_ascii": False, "separators": (",", ":")},
    "labelstudio": {"ensure_ascii": False},
}
"""``json.dumps`` as each of our JSON writers writes: raw writes the very bytes ours wrote
(``_same_bytes`` checks), not a cheaper variant (UTF-8 without ``\\u`` escapes is not the
same file, and is not the same work)."""


def _same_bytes(format: str, files: list[Path], ours: Path, output: Path) -> float:
    """1.0 when raw's files hold the bytes of ours (by name for brat, in order for the
    others), else 0.0; nan for spaCy, whose DocBin bytes depend on what ``to_disk`` packs."""
    if format == "spacy":
        return float("nan")
    if format == "brat":
        pairs = [(path, output / path.relative_to(ours)) for path in files]
    else:
        pairs = [(path, output / str(number)) for number, path in enumerate(files)]
    return _same_files(pairs, output)


def _same_files(pairs: list[tuple[Path, Path]], output: Path) -> float:
    """1.0 when ``output`` holds as many files as ``pairs`` and each pair's two files hold the
    same bytes, else 0.0."""
    if len(_files(output)) != len(pairs):
        return 0.0
    return float(all(filecmp.cmp(a, b, shallow=False) for a, b in pairs))


SQLITE_FORMATS = ("doccano", "brat")


def run_sqlite(format: str, project_path: Path, output: Path) -> dict[str, float]:
    """doccano and brat: the plainest code that reads the same records from the project file
    with ``sqlite3`` and writes ours's bytes (``json.dumps`` per line; a ``.txt`` and an
    ``.ann`` file per document, written as raw writes them): what any export from this store
    costs at least, reading included (the raw write starts from records already in memory).
    Not brat's two ``.conf`` files, made from the project's labels: a few hundred bytes."""
    output.mkdir()
    with Timer() as timer:
        db = sqlite3.connect(f"file:{project_path}?mode=ro", uri=True)
        if format == "doccano":
            _sqlite_doccano(db, output / "0")
        else:
            _sqlite_brat(db, output)
        db.close()
    return figures(timer.seconds, timer.cpu_seconds, system_seconds=timer.system_seconds)


def _stored_documents(
    db: sqlite3.Connection, columns: str
) -> Iterator[tuple[tuple, list[tuple], list[tuple]]]:
    """Each document's row (``id`` and ``columns``), its accepted span rows ``(id, doc_id,
    start, end, label)`` by start, end and label, and its accepted relation rows ``(doc_id,
    head, child, label)``: three queries read side by side, in document order."""
    spans = groupby(
        db.execute(
            "SELECT id, doc_id, start, end, label FROM spans WHERE status = 'accepted' "
            "ORDER BY doc_id, start"
        ),
        key=itemgetter(1),
    )
    relations = groupby(
        db.execute(
            "SELECT doc_id, head, child, label FROM relations WHERE status = 'accepted' "
            "ORDER BY doc_id, rowid"
        ),
        key=itemgetter(0),
    )
    next_spans, next_relations = next(spans, None), next(relations, None)
    for row in db.execute(f"SELECT id, {columns} FROM documents ORDER BY id"):
        span_rows: list[tuple] = []
        if next_spans is not None and next_spans[0] == row[0]:
            span_rows = sorted(next_spans[1], key=itemgetter(2, 3, 4))
            next_spans = next(spans, None)
        relation_rows: list[tuple] = []
        if next_relations is not None and next_relations[0] == row[0]:
            relation_rows = list(next_relations[1])
            next_relations = next(relations, None)
        yield row, span_rows, relation_rows


def _sqlite_doccano(db: sqlite3.Connection, target: Path) -> None:
    entity_number = relation_number = 1
    with target.open("w", encoding="utf-8") as handle:
        for (doc_id, text, meta), span_rows, relation_rows in _stored_documents(db, "text, meta"):
            numbers = {}
            entities = []
            for span_id, _, start, end, label in span_rows:
                numbers[span_id] = entity_number
                entities.append(
                    {"id": entity_number, "label": label, "start_offset": start, "end_offset": end}
                )
                entity_number += 1
            links = []
            for _, head, child, label in relation_rows:
                if head in numbers and child in numbers:
                    links.append(
                        {
                            "id": relation_number,
                            "from_id": numbers[head],
                            "to_id": numbers[child],
                            "type": label,
                        }
                    )
                    relation_number += 1
            record = {"id": doc_id, "text": text, "entities": entities, "relations": links}
            if meta and meta != "{}":
                record["meta"] = json.loads(meta)
            handle.write(json.dumps(record) + "\n")


def _sqlite_brat(db: sqlite3.Connection, output: Path) -> None:
    """Documents named ``doc-ID`` as ours names them without a ``source`` (the bench's)."""
    for (doc_id, text), span_rows, relation_rows in _stored_documents(db, "text"):
        (output / f"doc-{doc_id}.txt").write_text(text, encoding="utf-8")
        keys = {}
        with (output / f"doc-{doc_id}.ann").open("w", encoding="utf-8") as handle:
            for number, (span_id, _, start, end, label) in enumerate(span_rows, start=1):
                keys[span_id] = f"T{number}"
                handle.write(f"T{number}\t{label} {start} {end}\t{text[start:end]}\n")
            number = 0
            for _, head, child, label in relation_rows:
                if head in keys and child in keys:
                    number += 1
                    handle.write(f"R{number}\t{label} Arg1:{keys[head]} Arg2:{keys[child]}\t\n")


def _conll_records(content: str) -> list[list[list[tuple[str, str]]]]:
    """Documents -> sentences -> ``(token, tag)`` rows of a CoNLL file we wrote."""
    documents: list[list[list[tuple[str, str]]]] = []
    for block in content.split("-DOCSTART- O\n\n")[1:]:
        sentences = [
            [tuple(line.rsplit(" ", 1)) for line in sentence.split("\n")]  # type: ignore[misc]
            for sentence in block.split("\n\n")
            if sentence
        ]
        documents.append(sentences)  # type: ignore[arg-type]
    return documents


BratEntity = tuple[str, str, int, int, str]
BratRelation = tuple[str, str, str, str]


def _brat_records(
    files: list[Path],
) -> tuple[list[tuple[str, str, list[BratEntity], list[BratRelation]]], list[tuple[str, str]]]:
    """(name, text, T line fields, R line fields) of each .txt/.ann pair we wrote, and the
    .conf files' names and contents."""
    pairs = []
    confs = []
    for path in files:
        if path.suffix == ".conf":
            confs.append((path.name, path.read_text(encoding="utf-8")))
        if path.suffix != ".txt":
            continue
        entities: list[BratEntity] = []
        relations: list[BratRelation] = []
        for line in path.with_suffix(".ann").read_text(encoding="utf-8").splitlines():
            key, middle, covered = line.split("\t")
            if key.startswith("T"):
                label, start, end = middle.split(" ")  # our writer's spans are one fragment
                entities.append((key, label, int(start), int(end), covered))
            else:
                label, head, child = middle.split(" ")
                relations.append(
                    (key, label, head.removeprefix("Arg1:"), child.removeprefix("Arg2:"))
                )
        pairs.append((path.stem, path.read_text(encoding="utf-8"), entities, relations))
    return pairs, confs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated counts")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each, in turns; medians are printed"
    )
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "FORMAT", "SOURCE", "TARGET"))
    args = parser.parse_args()
    if args.worker:
        kind, format, source, target = args.worker
        if kind == "setup":
            print(json.dumps(run_setup(Path(source), Path(target))))
        else:
            run = {"ours": run_ours, "raw": run_raw, "sqlite": run_sqlite}[kind]
            print(json.dumps(run(format, Path(source), Path(target))))
        return
    header = (
        "documents",
        "format",
        "ours s",
        "ours CPU s",
        "ours system s",
        "ours peak RSS MB",
        "raw s",
        "raw CPU s",
        "raw system s",
        "raw CPU / ours CPU",
        "raw user / ours user",
        "raw peak RSS MB",
        "raw wrote our bytes",
    )
    print(markdown_table(header, []), flush=True)  # then each row as it is measured
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"corpus-{size}.jsonl"
            project = Path(folder) / f"corpus-{size}.annotator"
            write_corpus(source, size)
            imported = in_new_process(__file__, "setup", "-", str(source), str(project))
            _print_row(f"{size:,}", "(import, doccano JSONL)", *_cells(imported), *[""] * 7)
            for format in args.formats.split(","):
                stem = Path(folder) / f"{size}-{format}"
                ours, raw, sqlite = _rounds(format, project, stem, args.repeat)
                assert ours["documents"] == size, ours
                _print_row(f"{size:,}", format, *_cells(ours), *_baseline_cells(ours, raw))
                if sqlite is not None:
                    label = f"{format}, raw = read from the project by plain `sqlite3`"
                    _print_row(f"{size:,}", label, *_cells(ours), *_baseline_cells(ours, sqlite))
            if "doccano" in args.formats.split(","):
                command = run_command(project, Path(folder) / f"command-{size}.jsonl")
                _print_row(
                    f"{size:,}",
                    "`annotator export --format doccano` (whole process)",
                    f"{command['seconds']:.2f}",
                    f"{command['cpu_seconds']:.2f}",
                    *[""] * 9,
                )


def _baseline_cells(ours: dict[str, float], raw: dict[str, float]) -> tuple[str, ...]:
    return (
        f"{raw['seconds']:.2f}",
        f"{raw['cpu_seconds']:.2f}",
        f"{raw['system_seconds']:.2f}",
        f"{raw['cpu_seconds'] / ours['cpu_seconds']:.2f}x",
        f"{_user(raw) / _user(ours):.2f}x",
        f"{raw['max_rss_mb']:.0f}",
        _same(raw["same_bytes"]),
    )


def _rounds(
    format: str, project: Path, stem: Path, repeat: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float] | None]:
    """``repeat`` runs of ours and of raw, each in a fresh process, in turns (ours first in
    odd rounds, raw first in even ones: the file system is not left in the same state by
    each), and the median of each figure. One run says little on this machine: CPU seconds
    of the same run move by 20 to 50 %, and the kernel's time to create a file several-fold.

    For ``SQLITE_FORMATS``, each round also runs ``run_sqlite`` after ours (its medians, else
    None)."""
    ours_runs: list[dict[str, float]] = []
    raw_runs: list[dict[str, float]] = []
    sqlite_runs: list[dict[str, float]] = []
    before = None  # the last round's output of ours, which raw writes again
    for number in range(repeat):
        ours_path, raw_path = Path(f"{stem}-ours-{number}"), Path(f"{stem}-raw-{number}")
        if before is not None and number % 2 == 1:
            raw_runs.append(_raw_run(format, before, raw_path))
        ours_runs.append(in_new_process(__file__, "ours", format, str(project), str(ours_path)))
        if before is None or number % 2 == 0:
            raw_runs.append(_raw_run(format, ours_path, raw_path))
        if format in SQLITE_FORMATS:
            sqlite_runs.append(_sqlite_run(format, project, ours_path, Path(f"{stem}-sqlite")))
        for path in (before, raw_path):  # a 100,000-document Prodigy file is 6 GB
            if path is not None:
                _remove(path)
        before = ours_path
    if before is not None:
        _remove(before)
    return _medians(ours_runs), _medians(raw_runs), _medians(sqlite_runs) if sqlite_runs else None


def _sqlite_run(format: str, project: Path, ours: Path, output: Path) -> dict[str, float]:
    """``run_sqlite`` in a fresh process, its file compared with ours (not timed)."""
    run = in_new_process(__file__, "sqlite", format, str(project), str(output))
    if format == "brat":
        files = [path for path in _files(ours) if path.suffix in (".txt", ".ann")]
        pairs = [(path, output / path.relative_to(ours)) for path in files]
    else:
        pairs = [(ours, output / "0")]
    run["same_bytes"] = _same_files(pairs, output)
    _remove(output)
    return run


def _user(run: dict[str, float]) -> float:
    """CPU seconds outside the kernel: what the code does, whatever the file system costs."""
    return run["cpu_seconds"] - run["system_seconds"]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _raw_run(format: str, ours_path: Path, raw_path: Path) -> dict[str, float]:
    return in_new_process(__file__, "raw", format, str(ours_path), str(raw_path))


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure; ``same_bytes``, the worst of the runs."""
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    if "same_bytes" in medians:
        medians["same_bytes"] = min(run["same_bytes"] for run in runs)
    return medians


def _same(value: float) -> str:
    if math.isnan(value):
        return "(not compared)"
    return "yes" if value == 1.0 else "**no**"


def _print_row(*cells: str) -> None:
    print("| " + " | ".join(cells) + " |", flush=True)


def _cells(run: dict[str, float]) -> tuple[str, str, str, str]:
    system = f"{run['system_seconds']:.2f}" if "system_seconds" in run else ""
    return (
        f"{run['seconds']:.2f}",
        f"{run['cpu_seconds']:.2f}",
        system,
        f"{run['max_rss_mb']:.0f}",
    )


if __name__ == "__main__":
    main()
