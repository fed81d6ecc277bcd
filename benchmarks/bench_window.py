"""Times the window's document list over 100,000 documents, and the window on a 100,000-token
document, offscreen, against an eager list or the store alone.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--documents N]
        [--repeat N] [--tokens N] [--skip-list]

Ours is ``DocumentListModel``: the filter runs in SQLite and returns ids only; rows are read a
page at a time when the view paints them. The baseline is what a list that holds its rows does:
one SQL query reading every row (title, status, span counts) into a Python list behind a plain
``QAbstractTableModel`` (the least an eager list must do; a ``QStandardItemModel`` costs more).
Each figure is the median of repeated runs. The last two rows are a document switch
(Alt+Right) and a label keystroke in the whole window (document view, list row, inspector,
status bar, the window repainted) against the store reads, or the store edit, alone.

The long-document rows open a 100,000-token document with 10,000 suggested spans and 1,000
suggested relations (what a suggestion run leaves) from the document list, cold (a new window
and connection each time), then time Tab and A (accept) from the key event until the event
loop is idle again, the view's paint included; once with propagation off, once with it on
(every word recurs thousands of times here, so each accept's search runs in the worker and
its result waits for the annotator's word). A search starts once the keys rest for a moment,
so before each timed Tab and A the benchmark rests that long and the keys come while the
previous accept's search runs (it prints how many did). Then, propagation off, X (reject,
the next suggestion selected) and as many Ctrl+Z (each undoes one). The same document is also
opened as an import leaves it, its tokens not made yet: the window shows it while a worker makes
them
(the first time in the process, spaCy's tokenizer loads too); the row says when they landed.
The window's background pass, which would have tokenized it before the click, is kept off.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableView

from annotator import edits
from annotator.model import Document, Relation, Span, text_hash
from annotator.store import Project
from annotator.store.listing import DocumentFilter
from annotator.ui.app import make_application
from annotator.ui.background_tokens import BackgroundTokenizer
from annotator.ui.collector import MainThreadCollector
from annotator.ui.document_list import configure_table
from annotator.ui.document_list_model import DocumentListModel
from annotator.ui.editor.propagation import QUIET_MS
from annotator.ui.launcher import Launcher
from annotator.ui.preferences import Preferences

SENTENCE = (
    "Alice Martin rejoint Acme à Paris selon le journal du soir tandis que la Chine annonce "
    "un plan pour Microsoft et Deepseek avec Brad Smith président de la société"
)
WORDS = SENTENCE.split(" ")
LIST_SIZE = (420, 700)
ROOT = Path(__file__).resolve().parents[1]

EAGER_SQL = """
SELECT d.id, coalesce(json_extract(d.meta, '$.title'), substr(d.text, 1, 80)), d.status,
       (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'accepted'),
       (SELECT count(*) FROM spans s WHERE s.doc_id = d.id AND s.status = 'suggested')
FROM documents d {where} ORDER BY d.id
"""


class EagerModel(QAbstractTableModel):
    """The baseline: every row read up front."""

    def __init__(self, project: Project, where: str = "", params: tuple = ()) -> None:
        super().__init__()
        self.rows = project.db.execute(EAGER_SQL.format(where=where), params).fetchall()

    def rowCount(self, parent: Any = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QModelIndex()) -> int:
        return 0 if parent.isValid() else 4

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self.rows[index.row()]
        return str((row[0], row[1], row[3], row[4])[index.column()])


def build_project(path: Path, documents: int) -> None:
    """``documents`` short articles; every third has an accepted and a suggested span."""
    with Project.create(path) as project, project.transaction():
        for number in range(documents):
            words = [WORDS[(number + i) % len(WORDS)] for i in range(40)]
            text = f"Article {number} : " + " ".join(words)
            doc_id, _ = project.add_document(Document(text=text))
            if number % 3 == 0:
                start = text.index(words[0])
                project.insert_span(
                    Span(doc_id=doc_id, start=start, end=start + len(words[0]), label="PER")
                )
                project.insert_span(
                    Span(
                        doc_id=doc_id,
                        start=0,
                        end=7,
                        label="MISC",
                        status="suggested",
                        origin="model:bench@1",
                    )
                )


def build_long_document(
    path: Path, tokens: int, spans: int, relations: int, stored_tokens: bool = True
) -> None:
    """A short document 1, then document 2: ``tokens`` tokens, every ``tokens // spans``-th a
    suggested span, ``relations`` suggested relations between neighbouring spans. Without
    ``stored_tokens``, document 2 is as an import leaves it: its tokens not made yet."""
    from bench_editor import make_text  # the same generated text as the editor benchmark

    text, offsets = make_text(tokens)
    with Project.create(path) as project:
        project.add_document(Document(text="Une courte note.", tokens=((0, 3), (4, 10), (11, 16))))
        if stored_tokens:
            doc_id, _ = project.add_document(Document(text=text, tokens=offsets))
        else:  # the row an import writes
            (doc_id,) = project.add_document_rows([(text, text_hash(text), "{}", "new", None)])
        step = max(1, tokens // spans)
        made = [
            Span(
                doc_id=doc_id,
                start=offsets[number * step][0],
                end=offsets[number * step][1],
                label=("PER", "ORG", "LOC", "MISC")[number % 4],
                status="suggested",
                origin="model:bench@1",
            )
            for number in range(spans)
        ]
        project.add_spans(made)
        project.add_relations(
            [
                Relation(
                    doc_id=doc_id,
                    head=made[4 * k].id,
                    child=made[4 * k + 1].id,
                    label="works_for",
                    status="suggested",
                    origin="rule:bench",
                )
                for k in range(min(relations, len(made) // 4))
            ]
        )
        project.log_event("suggest", "benchmark suggestions", {})
        project.set_state("last_document", 1)


def long_document_rows(
    app: QApplication,
    folder: Path,
    tokens: int,
    repeat: int,
    samples: dict[str, list[float]] | None = None,
) -> list[tuple[str, float, float, float, float]]:
    """Opening the long document from the list, and Tab / A on it, in the whole window; each
    row's measures (ms) go to ``samples`` too, by row name."""
    samples = {} if samples is None else samples
    path = folder / "long.annotator"
    started = time.perf_counter()
    build_long_document(path, tokens, tokens // 10, tokens // 100)
    print(f"built a {tokens:,}-token document in {time.perf_counter() - started:.1f} s")
    rows = []

    def open_window() -> Any:
        with Project.open(path) as writer:  # the window starts on the short document
            writer.set_state("last_document", 1)
        launcher = Launcher(Preferences())
        launcher.open_project(path)
        window = launcher.window
        window.resize(1280, 800)
        window.view.setFocus()
        window.activateWindow()
        app.processEvents()
        window.repaint()
        return launcher, window

    def click_open(window: Any) -> tuple[float, float]:
        """Click the long document's row; (wall, UI-thread CPU) ms until it is painted."""
        assert window.view.doc_id() == 1
        table = window.document_list.table
        centre = table.visualRect(window.document_list.model.index(1, 1)).center()
        started, cpu = time.perf_counter(), time.thread_time()
        QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
        app.processEvents()
        wall, used = (time.perf_counter() - started) * 1000.0, (time.thread_time() - cpu) * 1000.0
        assert window.view.doc_id() == 2, "the click did not open the long document"
        return wall, used

    opening, opening_cpu, reads = [], [], []
    for _ in range(repeat):
        _launcher, window = open_window()  # a new window and connection: nothing cached
        wall, used = click_open(window)
        opening.append(wall)
        opening_cpu.append(used)
        window.close()
        app.processEvents()
        with Project.open(path, read_only=True) as reader:
            started = time.perf_counter()
            reader.document(2)
            reader.spans(2)
            reader.relations(2)
            reads.append((time.perf_counter() - started) * 1000.0)
    samples[OPEN_ROW] = opening
    rows.append(
        (
            f"open the {tokens:,}-token document from the list (click, cold, painted)",
            statistics.median(opening),
            statistics.median(opening_cpu),
            statistics.quantiles(opening, n=10)[-1],
            statistics.median(reads),
        )
    )

    # the same document as an import leaves it, its tokens not made yet: a copy of it each
    # time; the first opening in this process also loads spaCy's tokenizer
    pristine = folder / "imported.annotator"
    build_long_document(pristine, tokens, tokens // 10, tokens // 100, stored_tokens=False)
    imported, imported_cpu, landed, returned = [], [], [], []
    # the window's pass over every document would tokenize it before the click: kept off
    has_work = BackgroundTokenizer.has_work
    BackgroundTokenizer.has_work = lambda _self: False  # type: ignore[method-assign]
    for _ in range(repeat):
        remove_project(path)
        shutil.copyfile(pristine, path)
        _launcher, window = open_window()
        painted = PaintWatch(window.view)
        clicked = time.perf_counter()
        wall, used = click_open(window)
        if painted.at is None:
            app.processEvents()
        assert painted.at is not None, "the long document was not painted"
        imported.append((painted.at - clicked) * 1000.0)
        returned.append(wall)
        imported_cpu.append(used)
        pending = getattr(window.view, "tokens_pending", lambda: False)  # older code: none
        while pending():  # the worker makes the tokens; the window stays responsive
            app.processEvents()
            time.sleep(0.001)
        landed.append((time.perf_counter() - clicked) * 1000.0)
        window.close()
        app.processEvents()
    BackgroundTokenizer.has_work = has_work  # type: ignore[method-assign]
    samples[IMPORTED_ROW] = imported
    rows.append(
        (
            IMPORTED_ROW,
            statistics.median(imported),
            statistics.median(imported_cpu),
            statistics.quantiles(imported, n=10)[-1],
            statistics.median(landed),
        )
    )
    print(
        f"{IMPORTED_ROW}: its tokens stored {landed[0]:.0f} ms after the click the first time "
        f"(spaCy's tokenizer loaded), {statistics.median(landed[1:]):.0f} ms (median) after; "
        f"the UI thread free again after {statistics.median(returned):.0f} ms (median; the "
        "worker's tokenizer holds the GIL while it runs)"
    )
    remove_project(path)
    build_long_document(path, tokens, tokens // 10, tokens // 100)

    _launcher, window = open_window()
    window.session.open_document(2)
    app.processEvents()
    view = window.view
    view.setFocus()
    store = window.session.project
    runner = view.propagation()
    overlapped = 0
    for propagation in (False, True):
        runner.set_enabled(propagation)
        timings: dict[Qt.Key, list[tuple[float, float]]] = {Qt.Key.Key_Tab: [], Qt.Key.Key_A: []}
        unqueued: dict[Qt.Key, list[float]] = {Qt.Key.Key_Tab: [], Qt.Key.Key_A: []}
        for _ in range(repeat * 3):
            if propagation:  # let the last accept's search start, then press keys during it
                QTest.qWait(QUIET_MS + 50)
            for key, times in timings.items():
                overlapped += propagation and runner.searching()
                started, cpu, queued = time.perf_counter(), time.thread_time(), queued_ms()
                QTest.keyClick(view, key)
                app.processEvents()
                elapsed = (time.perf_counter() - started) * 1000.0
                times.append((elapsed, (time.thread_time() - cpu) * 1000.0))
                unqueued[key].append(elapsed - (queued_ms() - queued))
        accepted = sum(1 for s in store.spans(2) if s.status == "accepted")
        assert accepted >= repeat * 3, "the keys did not accept"
        state = "running" if propagation else "off"
        for key, name in ((Qt.Key.Key_Tab, "Tab"), (Qt.Key.Key_A, "A (accept)")):
            walls = [wall for wall, _ in timings[key]]
            samples[key_row(name, state)] = walls
            samples[key_row(name, state) + UNQUEUED] = unqueued[key]
            rows.append(
                (
                    key_row(name, state),
                    statistics.median(walls),
                    statistics.median(cpu for _, cpu in timings[key]),
                    statistics.quantiles(walls, n=10)[-1],
                    max(walls),
                )
            )
            slowest = sorted(range(len(walls)), key=walls.__getitem__, reverse=True)[:3]
            print(
                f"{name}, propagation {state}: 90th percentile "
                f"{statistics.quantiles(walls, n=10)[-1]:.1f} ms; slowest keys (press number: ms) "
                + ", ".join(f"{i + 1}: {walls[i]:.1f}" for i in slowest)
                + f"; less the waits for a CPU: median {statistics.median(unqueued[key]):.1f}, "
                f"90th percentile {statistics.quantiles(unqueued[key], n=10)[-1]:.1f} ms"
            )
    print(f"{overlapped} of {repeat * 6} keys with propagation on came while a search ran")
    runner.wait()
    searching, idle = [], []
    for _ in range(repeat):  # how long a search keeps the UI thread from running, at most
        QTest.keyClick(view, Qt.Key.Key_Tab)
        QTest.keyClick(view, Qt.Key.Key_A)
        deadline = time.perf_counter() + 2.0
        while not runner.searching() and time.perf_counter() < deadline:
            app.processEvents()  # until the keys have rested and the search started
        if not runner.searching():
            continue  # that string was searched already
        started = time.perf_counter()
        searching.append(stalls(app, runner.searching))
        until = time.perf_counter() + (time.perf_counter() - started)  # as long, with no search
        idle.append(stalls(app, lambda until=until: time.perf_counter() < until))
    samples[WAIT_ROW] = searching
    rows.append(
        (
            WAIT_ROW + " / idle",
            statistics.median(searching),
            0.0,
            max(searching),
            statistics.median(idle),
        )
    )
    runner.wait()
    runner.set_enabled(False)
    rows += _reject_and_undo_rows(app, view, repeat, samples)
    window.close()
    app.processEvents()
    return rows


def _reject_and_undo_rows(
    app: QApplication, view: Any, repeat: int, samples: dict[str, list[float]]
) -> list[tuple[str, float, float, float, float]]:
    """X (reject; the next pending suggestion is selected) pressed ``repeat * 3`` times, then
    Ctrl+Z as many times (each undoes one), then ``repeat`` turns of Shift+A (accept the
    10,000 suggestions at once) and its Ctrl+Z; propagation off: key to paint, as Tab and A.
    X walked the Tab order with a list membership test per item: 1.5 s a key at 10,000
    suggestions."""
    rows = []
    QTest.keyClick(view, Qt.Key.Key_Tab)
    app.processEvents()
    shift, control = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
    for keys, name, presses in (
        (((Qt.Key.Key_X, Qt.KeyboardModifier.NoModifier),), "X (reject)", repeat * 3),
        (((Qt.Key.Key_Z, control),), "Ctrl+Z (undo)", repeat * 3),
        (
            ((Qt.Key.Key_A, shift), (Qt.Key.Key_Z, control)),
            "Shift+A (accept all), then its Ctrl+Z",
            repeat,
        ),
    ):
        walls, cpus = [], []
        for _ in range(presses):
            started, cpu = time.perf_counter(), time.thread_time()
            for key, modifier in keys:
                QTest.keyClick(view, key, modifier)
                app.processEvents()
            walls.append((time.perf_counter() - started) * 1000.0)
            cpus.append((time.thread_time() - cpu) * 1000.0)
        samples[key_row(name, "off")] = walls
        rows.append(
            (
                key_row(name, "off"),
                statistics.median(walls),
                statistics.median(cpus),
                statistics.quantiles(walls, n=10)[-1],
                max(walls),
            )
        )
    return rows


class PaintWatch(QObject):
    """When the view's viewport has first painted the long document (a zero timer set as the
    paint starts fires once it ends): for a document whose tokens are still being made, the
    text is on screen then, before the worker's tokenizer holds the UI thread."""

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        self.at: float | None = None
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.view.doc_id() == 2:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._painted)  # the first thing after this paint
        return False

    def _painted(self) -> None:
        self.at = time.perf_counter()


def remove_project(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)


OPEN_ROW = "open the document from the list (click, cold, painted)"
IMPORTED_ROW = "open it just imported, no tokens yet (click, painted; last: tokens stored)"
WAIT_ROW = "longest wait of the UI thread (1 ms sleeps), a search running"


def key_row(name: str, state: str) -> str:
    return f"{name} on it, key to paint, propagation {state}"


UNQUEUED = ", less the UI thread's waits for a CPU"
SCHEDSTAT = Path("/proc/thread-self/schedstat")


def queued_ms() -> float:
    """How long this thread has waited, runnable, for a CPU (Linux's schedstat; 0 elsewhere):
    on a machine loaded by other programs, a key's time less this is closer to what a quiet
    machine shows; waits for the GIL, the disk or a lock stay in."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def stalls(app: QApplication, busy: Callable[[], bool]) -> float:
    """The longest gap (ms) between turns of a loop that sleeps 1 ms and handles events while
    ``busy()``: how long something else (a search holding the GIL) kept the UI thread out."""
    longest, last = 0.0, time.perf_counter()
    while busy():
        time.sleep(0.001)
        app.processEvents()
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest * 1000.0


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def shown(view: QTableView, model: QAbstractTableModel) -> None:
    view.setModel(model)
    configure_table(view)  # the window's settings, for both
    view.viewport().repaint()


def listed(model: QAbstractTableModel) -> None:
    """Until every row is in the list: ours lists a long one a chunk at a time, between events."""
    while isinstance(model, DocumentListModel) and model.is_listing():
        QApplication.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--tokens", type=int, default=100_000, help="of the long document")
    parser.add_argument("--skip-list", action="store_true", help="the long document only")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an earlier source tree: the long document's rows with its code and with this "
        "one, in turns (--rounds), side by side",
    )
    parser.add_argument("--rounds", type=int, default=2, help="turns of each tree (--baseline)")
    parser.add_argument("--samples", type=Path, help=argparse.SUPPRESS)  # a turn's JSON out
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    if args.baseline:
        return compare(args.baseline, args.rounds, repeat, args.tokens)
    app = make_application()  # as the app starts: its GIL switch interval included
    collector = MainThreadCollector(app)  # and its garbage collection on the UI thread
    rows: list[tuple[str, float, float]] = []
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        settings = Path(folder) / "settings"
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings))
        long_rows = long_document_rows(app, Path(folder), args.tokens, repeat, samples)
        if not args.skip_list:
            rows = list_and_window_rows(app, Path(folder), args.documents, repeat)
    collector.stop()
    window_cpu, search_cpu = process_cpu()
    if args.samples:
        args.samples.write_text(
            json.dumps({"samples": samples, "cpu": window_cpu, "search_cpu": search_cpu})
        )
        return 0
    print(
        f"Window, offscreen, {args.documents:,} documents, list {LIST_SIZE[0]}x{LIST_SIZE[1]}, "
        f"median of {repeat}+ runs"
    )
    print()
    print("| measurement | annotator (ms) | eager list / store reads only (ms) |")
    print("|---|---:|---:|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours:.1f} | {theirs:.2f} |")
    print()
    print(
        f"Window, offscreen, 1280x800, a {args.tokens:,}-token document with {args.tokens // 10:,}"
    )
    print(f"suggested spans and {args.tokens // 100:,} relations, {repeat}+ runs")
    print()
    print(
        "| measurement | annotator, median (ms) | its UI-thread CPU (ms) | 90th percentile (ms) "
        "| store reads alone / slowest key (ms) |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, ours, cpu, p90, other in long_rows:
        print(f"| {name} | {ours:.1f} | {cpu:.1f} | {p90:.1f} | {other:.1f} |")
    print(
        f"CPU of the whole run: {window_cpu:.1f} s in the window's process, {search_cpu:.1f} s "
        "in the propagation search process (none where the search runs in a thread)"
    )
    print(f"load average at the end: {load()}")
    return 0


def process_cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of the propagation search process once stopped (the
    code before it searched in a thread of this one)."""
    try:
        from annotator.services.propagation_process import SHARED
    except ImportError:
        pass
    else:
        SHARED.close(wait=True)  # a child's CPU is counted once it has ended
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def compare(baseline: Path, rounds: int, repeat: int, tokens: int) -> int:
    """The long document's rows with ``baseline``'s code and with ours, each in a process of
    its own, in turns (the machine drifts), every key of all turns pooled per row."""
    trees = {"baseline": baseline.resolve(), "now": ROOT}
    pooled: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    print(f"load average at the start: {load()}")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "samples.json"
        for turn in range(rounds):
            for name, tree in trees.items():
                command = [sys.executable, __file__, "--skip-list", "--samples", str(out)]
                command += ["--repeat", str(repeat), "--tokens", str(tokens)]
                environment = {**os.environ, "PYTHONPATH": str(tree)}
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True, env=environment)
                figures = json.loads(out.read_text())
                for row, values in figures["samples"].items():
                    pooled[name].setdefault(row, []).extend(values)
                cpu[name].append((figures["cpu"], figures["search_cpu"]))
                print(
                    f"turn {turn + 1}, {name} ({tree}): {time.perf_counter() - started:.0f} s, "
                    f"load {load()}"
                )
    print()
    print(
        f"Window, offscreen, a {tokens:,}-token document, {rounds} turns of each tree, keys pooled"
    )
    print()
    print("| measurement (ms) | baseline: median / p90 | now: median / p90 |")
    print("|---|---:|---:|")
    for row in pooled["now"]:
        cells = []
        for name in trees:
            values = pooled[name].get(row, [])
            cells.append(
                f"{statistics.median(values):.1f} / {statistics.quantiles(values, n=10)[-1]:.1f}"
                if len(values) > 1
                else "-"
            )
        print(f"| {row} | {cells[0]} | {cells[1]} |")
    for name in trees:
        window = statistics.median(c for c, _ in cpu[name])
        search = statistics.median(s for _, s in cpu[name])
        print(
            f"{name}: CPU per turn {window:.1f} s in the window's process, {search:.1f} s in the "
            "search process"
        )
    print(f"load average at the end: {load()}")
    return 0


def list_and_window_rows(
    app: QApplication, folder: Path, documents: int, repeat: int
) -> list[tuple[str, float, float]]:
    """The document list over ``documents`` documents, then a switch and a keystroke."""
    rows: list[tuple[str, float, float]] = []
    path = folder / "bench.annotator"
    started = time.perf_counter()
    build_project(path, documents)
    print(f"built {documents:,} documents in {time.perf_counter() - started:.1f} s")
    project = Project.open(path, read_only=True)
    view = QTableView()
    view.resize(*LIST_SIZE)
    view.show()
    app.processEvents()

    # 1. the list appears: model made, first screen painted
    rows.append(
        (
            "open the list (first screen painted)",
            median_ms(lambda: shown(view, DocumentListModel(project)), repeat),
            median_ms(lambda: shown(view, EagerModel(project)), repeat),
        )
    )

    # 2. scroll to the end and back, painting each end
    def scroll_ends(model: QAbstractTableModel) -> Callable[[], None]:
        def run() -> None:
            view.scrollToBottom()
            view.viewport().repaint()
            view.scrollToTop()
            view.viewport().repaint()

        shown(view, model)
        listed(model)
        return run

    ours_model = DocumentListModel(project)
    ours = median_ms(scroll_ends(ours_model), repeat)
    eager_model = EagerModel(project)
    theirs = median_ms(scroll_ends(eager_model), repeat)
    rows.append(("scroll to the last row and back", ours, theirs))

    # 3. scroll through the whole list a page at a time (what a held-down PgDn does)
    def page_through(model: QAbstractTableModel) -> Callable[[], None]:
        bar = view.verticalScrollBar()

        def run() -> None:
            bar.setValue(0)
            while bar.value() < bar.maximum():
                bar.setValue(bar.value() + bar.pageStep() * 200)
                view.viewport().repaint()

        shown(view, model)
        listed(model)
        return run

    ours = median_ms(page_through(DocumentListModel(project)), repeat)
    theirs = median_ms(page_through(eager_model), repeat)
    rows.append(("jump through the list, 200 pages a step, painting", ours, theirs))

    # 4. filters, until the first screen is painted; each run applies one filter,
    # alternating between two of the same kind (the eager list runs the same SQL filter)
    del eager_model, ours_model
    gc.collect()
    label_clause = (
        "WHERE d.id IN (SELECT s.doc_id FROM spans s WHERE s.label = ? AND s.status != 'rejected')"
    )
    for name, filters, where, params in (
        (
            "filter by text",
            (DocumentFilter(text="Article 999"), DocumentFilter(text="Article 998")),
            "WHERE d.text LIKE ?",
            ("%Article 999%",),
        ),
        (
            "filter by status",
            (DocumentFilter(status="new"), DocumentFilter(status="in_progress")),
            "WHERE d.status = ?",
            ("new",),
        ),
        (
            "filter by label",
            (DocumentFilter(label="PER"), DocumentFilter(label="MISC")),
            label_clause,
            ("PER",),
        ),
    ):
        model = DocumentListModel(project)
        shown(view, model)
        turns = iter(filters * repeat * 2)

        def ours_filter(m: DocumentListModel = model, t: Any = turns) -> None:
            m.set_filter(next(t))
            view.viewport().repaint()

        ours = median_ms(ours_filter, repeat)
        theirs = median_ms(lambda w=where, p=params: shown(view, EagerModel(project, w, p)), repeat)
        rows.append((f"{name}, first screen painted", ours, theirs))
        gc.collect()
    view.close()
    project.close()

    # 5. a document switch in the whole window
    launcher = Launcher(Preferences())
    launcher.open_project(path)
    window = launcher.window
    assert window is not None
    window.resize(1280, 800)
    app.processEvents()
    window.view.setFocus()
    window.activateWindow()
    session = window.session

    def next_document() -> None:
        QTest.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        window.repaint()

    ours = median_ms(next_document, repeat * 3)
    reader = session.project
    position = [1]

    def reads_only() -> None:
        position[0] += 1
        reader.document(position[0])
        reader.spans(position[0])
        reader.relations(position[0])

    theirs = median_ms(reads_only, repeat * 3)
    rows.append(("document switch in the window (Alt+Right, repainted)", ours, theirs))

    # 6. a label keystroke in the window: the view, the list row, the inspector and the
    # status bar all follow; timed until every pending repaint of the window is done
    session.open_document(1)  # document 1 has an accepted PER span
    target = next(s for s in reader.spans(1) if s.status == "accepted")
    window.view.select(target.id)
    window.view.setFocus()
    keys = iter(["2", "1"] * repeat * 4)

    def keystroke() -> None:
        QTest.keyClick(window.view, next(keys))
        app.processEvents()
        window.repaint()

    ours = median_ms(keystroke, repeat * 3)
    assert reader.span(target.id).label in ("PER", "ORG"), "the keystroke did not edit"
    current = [reader.span(target.id)]

    def store_only() -> None:
        span = current[0]
        edit = edits.relabel_span(span, "ORG" if span.label == "PER" else "PER")
        reader.apply(edit)
        current[0] = edit.after

    theirs = median_ms(store_only, repeat * 3)
    rows.append(("label keystroke in the window (everything repainted)", ours, theirs))
    window.close()
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
