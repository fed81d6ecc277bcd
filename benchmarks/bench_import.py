"""Import speed and memory: ``annotator import`` against a raw sqlite-utils ``insert_all``.

    .venv/bin/python benchmarks/bench_import.py              # 10,000 and 100,000 documents
    .venv/bin/python benchmarks/bench_import.py --sizes 2000 # a quick run

For each size it writes short generated documents as JSONL, then runs, each in a fresh
process so that peak memory (max RSS) is that run's alone:

- ours: ``import_sources`` (read, tokenize with spaCy, validate, store tokens, one transaction;
  loading the spaCy tokenizer, once per process, is timed apart);
- baseline: sqlite-utils ``insert_all`` of the same document rows (text, hash, meta, status),
  streamed from the same file, with no tokenizing or checking;

and times ``annotator stats --json`` on the imported project. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_VOCABULARY = """le la les un une des de du et à en pour sur avec dans par président ministre
entreprise Microsoft Paris Reuters Chine Inde Washington accord rapport données puces modèles
annonce jeudi lundi semaine marché prix croissance technologie sécurité gouvernement"""
WORDS = _VOCABULARY.split()
NAMES = ("Brad Smith", "Donald Trump", "Satya Nadella", "Marie Curie", "Jean Dupont")


def generate(path: Path, count: int, seed: int = 7) -> None:
    """``count`` distinct short texts (one or two sentences, ~100 characters) as JSONL."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            words = rng.choices(WORDS, k=rng.randint(8, 18))
            text = f"{rng.choice(NAMES)} {' '.join(words)} ({number})."
            handle.write(json.dumps({"text": text, "meta": {"n": number}}) + "\n")


def run_ours(source: Path, project_path: Path) -> dict[str, float]:
    from annotator.io import tokenize
    from annotator.services.importing import import_sources
    from annotator.store import Project

    project = Project.create(project_path)
    loading = time.perf_counter()
    tokenize.blank(project.settings.lang)  # once per process; reported on its own
    load_seconds = time.perf_counter() - loading
    started = time.perf_counter()
    report = import_sources(project, [source])
    seconds = time.perf_counter() - started
    project.close()
    return {"documents": report.documents, "seconds": seconds, "load_seconds": load_seconds}


def run_baseline(source: Path, database_path: Path) -> dict[str, float]:
    from sqlite_utils import Database

    db = Database(database_path)

    def rows():
        with source.open(encoding="utf-8") as handle:
            for line in handle:
                task = json.loads(line)
                text = task["text"]
                yield {
                    "text": text,
                    "text_hash": hashlib.sha1(text.encode("utf-8")).hexdigest(),
                    "meta": json.dumps(task.get("meta", {}), ensure_ascii=False),
                    "status": "new",
                }

    started = time.perf_counter()
    with db.conn:
        db["documents"].insert_all(rows(), batch_size=1000)
    seconds = time.perf_counter() - started
    count = db["documents"].count
    db.close()
    return {"documents": count, "seconds": seconds}


def worker(kind: str, source: Path, target: Path) -> None:
    """One measured run, in this process; prints its figures as JSON."""
    figures = (run_ours if kind == "ours" else run_baseline)(source, target)
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def measure(kind: str, source: Path, target: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(source), str(target)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def time_stats(project_path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "annotator", "stats", str(project_path), "--json"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated counts")
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "SOURCE", "TARGET"))
    args = parser.parse_args()
    if args.worker:
        kind, source, target = args.worker
        worker(kind, Path(source), Path(target))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"docs-{size}.jsonl"
            generate(source, size)
            ours = measure("ours", source, Path(folder) / f"ours-{size}.annotator")
            base = measure("baseline", source, Path(folder) / f"base-{size}.db")
            stats_seconds = time_stats(Path(folder) / f"ours-{size}.annotator")
            assert ours["documents"] == base["documents"] == size, (ours, base)
            rows.append(
                (
                    f"{size:,}",
                    f"{size / ours['seconds']:,.0f}",
                    f"{size / base['seconds']:,.0f}",
                    f"{ours['seconds']:.1f}",
                    f"{base['seconds']:.1f}",
                    f"{ours['max_rss_mb']:.0f}",
                    f"{base['max_rss_mb']:.0f}",
                    f"{stats_seconds:.2f}",
                    f"{ours['load_seconds']:.1f}",
                )
            )
    header = (
        "documents",
        "ours docs/s",
        "insert_all docs/s",
        "ours s",
        "insert_all s",
        "ours peak RSS MB",
        "insert_all peak RSS MB",
        "`annotator stats` s",
        "spaCy tokenizer load s (once, not in ours s)",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
