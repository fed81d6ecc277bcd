"""A pool of a million short documents in one project: import, file size, window, text filter.

    .venv/bin/python benchmarks/bench_pool.py                       # 1,000,000 documents
    .venv/bin/python benchmarks/bench_pool.py --documents 20000     # a quick run

Writes generated short documents (one or two sentences) as JSONL, then, each in a fresh process:

- ``annotator import`` of the file (the real command: tokenize, check, store, index), its time
  and peak memory (max RSS);
- the project file's size (the text index included);
- opening the window on it (``Launcher.open_project`` until the window is painted, offscreen);
- the document list's text filter (``filtered_ids``) for a common word, a rare string and a
  two-character string (too short for the trigram index: a ``LIKE`` scan), against the plain
  ``LIKE`` scan the filter did before the index (medians of 5).

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_VOCABULARY = """le la les un une des de du et à en pour sur avec dans par président ministre
entreprise
accord rapport données puces modèles annonce jeudi lundi semaine marché prix croissance
technologie sécurité gouvernement usine contrat vente achat élection réunion banque"""
WORDS = _VOCABULARY.split()
NAMES = ("Brad Smith", "Donald Trump", "Satya Nadella", "Marie Curie", "Jean Dupont")
PLACES = ("Paris", "Lyon", "Marseille", "Pékin", "Washington", "Redmond", "Bruxelles")
FILTERS = (("common word", "Lyon"), ("rare string", "(424242)"), ("two characters", "yo"))
REPEAT = 5


def generate(path: Path, count: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            words = " ".join(rng.choices(WORDS, k=rng.randint(8, 18)))
            text = f"{rng.choice(NAMES)} à {rng.choice(PLACES)} : {words} ({number})."
            handle.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")


def import_pool(source: Path, project: Path) -> tuple[float, float]:
    """(seconds, peak RSS MB) of ``annotator import`` in its own process."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "annotator", "import", str(project), str(source)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure_in_process(project_path: Path) -> dict[str, float]:
    """Window open and filters, in this (fresh) process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.store import Project
    from annotator.store.listing import DocumentFilter, filtered_ids
    from annotator.ui.launcher import Launcher
    from annotator.ui.preferences import Preferences

    figures: dict[str, float] = {}
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as settings:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        started = time.perf_counter()
        launcher = Launcher(Preferences())
        launcher.open_project(project_path)
        window = launcher.window
        assert window is not None
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        window.repaint()
        figures["window"] = time.perf_counter() - started
        window.close()
        app.processEvents()
    with Project.open(project_path, read_only=True) as project:
        for name, text in FILTERS:
            figures[f"{name} matches"] = len(filtered_ids(project, DocumentFilter(text=text)))
            figures[f"{name} ours"] = _median(
                lambda t=text: filtered_ids(project, DocumentFilter(text=t))
            )
            figures[f"{name} like"] = _median(
                lambda t=text: project.db.execute(
                    "SELECT id FROM documents WHERE text LIKE ?", [f"%{t}%"]
                ).fetchall()
            )
    return figures


def _median(run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_in_process(args.measure)))
        return
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        source = Path(folder) / "pool.jsonl"
        project = Path(folder) / "pool.annotator"
        generate(source, args.documents)
        seconds, rss = import_pool(source, project)
        size = sum(
            Path(f"{project}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{project}{suffix}").exists()
        )
        result = subprocess.run(
            [sys.executable, __file__, "--measure", str(project)],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        jsonl = source.stat().st_size
    print(f"| measurement ({args.documents:,} documents) | value |")
    print("|---|---:|")
    print(f"| `annotator import` | {seconds:,.0f} s ({args.documents / seconds:,.0f} docs/s) |")
    print(f"| import peak memory (max RSS) | {rss:,.0f} MB |")
    print(f"| project file | {size / 1e6:,.0f} MB (from {jsonl / 1e6:,.0f} MB of JSONL) |")
    print(f"| window open (painted) | {figures['window'] * 1000:,.0f} ms |")
    for name, text in FILTERS:
        print(
            f"| text filter, {name} `{text}` ({figures[f'{name} matches']:,.0f} matches) | "
            f"{figures[f'{name} ours'] * 1000:,.0f} ms (LIKE scan alone: "
            f"{figures[f'{name} like'] * 1000:,.0f} ms) |"
        )


if __name__ == "__main__":
    main()
