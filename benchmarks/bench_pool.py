"""A pool of a million short documents in one project: import, file size, window, text filter.

    .venv/bin/python benchmarks/bench_pool.py                       # 1,000,000 documents
    .venv/bin/python benchmarks/bench_pool.py --documents 20000     # a quick run
    .venv/bin/python benchmarks/bench_pool.py --project /tmp/pool-1m.annotator  # import once, reuse

Writes generated short documents (one or two sentences) as JSONL, then, each in a fresh process:

- ``annotator import`` of the file (the real command: check and store; tokens and the text
  index are left for later), its time and peak memory (max RSS); skipped when ``--project``
  names an existing file, which is reused as it is (upgraded first, and timed apart, if it
  predates a migration);
- the text index the import left for later, built in one statement (``ensure_text_index``
  with no batches: what the window's background pass does a batch at a time), timed apart; the
  filters below are measured once it holds every text (0 s for a reused file indexed already);
- the project file's size (the text index included);
- opening the window on it (``Launcher.open_project`` until the window is painted, offscreen),
  then, when the document it opens has no tokens yet (a fresh import), until a worker has made
  them, then until the document list holds every document (it grows between events);
- the document list's text filter for a common word, a rare string and a two-character string
  (too short for the trigram index: a ``LIKE`` scan), as the list runs it: until its first
  screen is painted, and until every match is listed; ``filtered_ids`` alone (medians of 5).

Beside them, in the same run, what the list did before (commit 6fa6da9): read every matching
id, then sort them, before its first paint; and the plain ``LIKE`` scan. Every figure is wall
and CPU time (``time.process_time``): on a shared machine the CPU time is the one to compare.
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


def build_index(project_path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of building the text index the import left for later, in its own
    process (CPU: the child's user + system); nothing for a file indexed already (a reused
    one, left unopened for writing so that its upgrade, if any, is timed apart)."""
    from annotator.store import Project

    with Project.open(project_path, read_only=True) as project:
        if not project.count_unindexed():
            return 0.0, 0.0
    code = (
        "import sys; from annotator.store import Project; "
        "from annotator.services.indexing import ensure_text_index; "
        "project = Project.open(sys.argv[1]); ensure_text_index(project, batch=None); "
        "project.close()"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(project_path)], check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def measure_in_process(project_path: Path) -> dict[str, float]:
    """Window open, list and filters, in this (fresh) process: (wall, CPU) seconds each."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from annotator.store import Project
    from annotator.store.listing import DocumentFilter, filtered_ids
    from annotator.store.migrations import migrations
    from annotator.ui.launcher import Launcher
    from annotator.ui.preferences import Preferences

    figures: dict[str, float] = {}
    with Project.open(project_path, read_only=True) as project:
        pending = migrations.pending(project.db)
    if pending:  # a file made before the newest migration: upgrade it once, apart
        _record(figures, "upgrade", [_timed(lambda: Project.open(project_path).close())])
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as settings:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
        wall, cpu = time.perf_counter(), time.process_time()
        launcher = Launcher(Preferences())
        launcher.open_project(project_path)
        window = launcher.window
        assert window is not None
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        window.repaint()
        _record(figures, "window", [(time.perf_counter() - wall, time.process_time() - cpu)])
        view = window.view
        if view.tokens_pending():  # as after an import: made in a worker after the paint
            while view.tokens_pending():
                app.processEvents()
                time.sleep(0.001)
            _record(figures, "tokens", [(time.perf_counter() - wall, time.process_time() - cpu)])
        panel = window.document_list
        _finish_listing(app, panel.model)
        _record(figures, "listed", [(time.perf_counter() - wall, time.process_time() - cpu)])
        project = window.session.project
        figures["documents"] = panel.model.rowCount()
        _record(figures, "before: all ids", [_timed(lambda: _previous_ids(project, ""))])
        for name, text in FILTERS:
            figures[f"{name} matches"] = len(filtered_ids(project, DocumentFilter(text=text)))
            screens, listed = [], []
            for _ in range(REPEAT):
                panel.model.set_filter(DocumentFilter())
                _finish_listing(app, panel.model)
                screen = _timed(lambda t=text: _filter_first_screen(panel, t))
                rest = _timed(lambda: _finish_listing(app, panel.model))
                screens.append(screen)
                listed.append((screen[0] + rest[0], screen[1] + rest[1]))
            _record(figures, f"{name} screen", screens)
            _record(figures, f"{name} listed", listed)
            _record(figures, f"{name} ids", _repeated(lambda t=text: _ids(project, t)))
            _record(figures, f"{name} before", _repeated(lambda t=text: _previous_ids(project, t)))
            _record(figures, f"{name} like", _repeated(lambda t=text: _like(project, t)))
        window.close()
        app.processEvents()
    return figures


def _filter_first_screen(panel, text: str) -> None:  # type: ignore[no-untyped-def]
    """The filter as the list runs it, until its first screen is painted."""
    from annotator.store.listing import DocumentFilter

    panel.model.set_filter(DocumentFilter(text=text))
    panel.table.viewport().repaint()


def _finish_listing(app, model) -> None:  # type: ignore[no-untyped-def]
    while model.is_listing():
        app.processEvents()


def _previous_ids(project, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    """What the list read before its first paint at 6fa6da9: every matching id, then sorted."""
    if len(text) >= 3:
        sql = (
            "SELECT d.id FROM documents d WHERE d.id IN "
            "(SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)"
        )
        rows = project.db.execute(sql, ['"' + text.replace('"', '""') + '"'])
    elif text:
        rows = project.db.execute("SELECT id FROM documents WHERE text LIKE ?", [f"%{text}%"])
    else:
        rows = project.db.execute("SELECT id FROM documents")
    return sorted(row[0] for row in rows)


def _ids(project, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    from annotator.store.listing import DocumentFilter, filtered_ids

    return filtered_ids(project, DocumentFilter(text=text))


def _like(project, text: str) -> list[tuple[int]]:  # type: ignore[no-untyped-def]
    return project.db.execute(
        "SELECT id FROM documents WHERE text LIKE ?", [f"%{text}%"]
    ).fetchall()


def _repeated(run) -> list[tuple[float, float]]:  # type: ignore[no-untyped-def]
    return [_timed(run) for _ in range(REPEAT)]


def _record(figures: dict[str, float], name: str, runs: list[tuple[float, float]]) -> None:
    """The median wall and CPU seconds of ``runs`` as ``name`` and ``name cpu``."""
    figures[name] = statistics.median(wall for wall, _ in runs)
    figures[f"{name} cpu"] = statistics.median(cpu for _, cpu in runs)


def _timed(run) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _ms(figures: dict[str, float], name: str) -> str:
    """``wall ms (CPU ms)``."""
    cpu = figures.get(f"{name} cpu")
    suffix = f" ({cpu * 1000:,.0f} CPU)" if cpu is not None else ""
    return f"{figures[name] * 1000:,.0f}{suffix}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument(
        "--project",
        type=Path,
        help="the pool's project file: imported once, then reused as it is (no import)",
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_in_process(args.measure)))
        return
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        project = args.project or Path(folder) / "pool.annotator"
        imported = None
        if not project.exists():
            source = Path(folder) / "pool.jsonl"
            generate(source, args.documents)
            imported = (*import_pool(source, project), source.stat().st_size)
        index_seconds, index_cpu = build_index(project)
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
    documents = int(figures["documents"])
    print(f"| measurement ({documents:,} documents) | ms: wall (CPU) | before (6fa6da9) |")
    print("|---|---:|---:|")
    if imported is not None:
        seconds, rss, jsonl = imported
        print(f"| `annotator import` | {seconds:,.0f} s ({documents / seconds:,.0f} docs/s) | |")
        print(f"| import peak memory (max RSS) | {rss:,.0f} MB | |")
        print(f"| project file | {size / 1e6:,.0f} MB (from {jsonl / 1e6:,.0f} MB of JSONL) | |")
    else:
        print(f"| project file (reused: `{project}`) | {size / 1e6:,.0f} MB | |")
    print(
        f"| text index, built after the import | {index_seconds:,.1f} s ({index_cpu:,.1f} CPU s)"
        " | built by the import |"
    )
    if "upgrade" in figures:
        print(f"| first open of the older file (migrations) | {_ms(figures, 'upgrade')} | |")
    print(
        f"| window open (painted) | {_ms(figures, 'window')} | all ids read before the paint: "
        f"{_ms(figures, 'before: all ids')} |"
    )
    if "tokens" in figures:
        print(
            "| ... the open document's tokens stored (none yet after an import: made in a "
            f"worker once the window is painted, spaCy's tokenizer loaded) | "
            f"{_ms(figures, 'tokens')} | |"
        )
    print(f"| ... every document listed | {_ms(figures, 'listed')} | |")
    for name, text in FILTERS:
        print(
            f"| text filter, {name} `{text}` ({figures[f'{name} matches']:,.0f} matches): "
            f"first screen painted | {_ms(figures, f'{name} screen')} | "
            f"all ids: {_ms(figures, f'{name} before')}; LIKE scan: "
            f"{_ms(figures, f'{name} like')} |"
        )
        print(
            f"| ... every match listed (`filtered_ids` alone: {_ms(figures, f'{name} ids')}) | "
            f"{_ms(figures, f'{name} listed')} | |"
        )
    print(f"\n{os.getloadavg()[0]:.1f} load average (1 min) at the end")


if __name__ == "__main__":
    main()
