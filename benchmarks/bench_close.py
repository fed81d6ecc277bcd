"""Times Ctrl+Q on the window while work it would wait for runs (a propagation search, or
spaCy's tokenizer loading after an import).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_close.py [--tokens N]
        [--repeat N] [--after SECONDS] [--scenario search|import] [--baseline DIR]

Each round is a new process (the search process is the program's, started at the first
search): build a document of ``--tokens`` tokens with a suggested span every tenth token (as
``bench_window`` does), open it in the window, Tab and A on its first suggestion, so that its
string is searched for in the search process, then Ctrl+Q ``--after`` seconds later. Reported:
the wall time from the key to the window gone (it waited for the search's answer, to drop it),
the window process's CPU over that time (all its threads: a worker's too), and the CPU of the
search processes that ended meanwhile (one still running is not counted: its CPU shows when it
ends).
``--baseline DIR`` (an earlier source tree, e.g. ``git worktree add --detach DIR COMMIT``) runs
the same with its code, a round of each in turn, side by side.

``--scenario import``: the project is a fresh import of ``--tokens`` tokens in short articles,
their tokens not made yet; the window starts loading spaCy's tokenizer as it opens, and Ctrl+Q
comes ``--after`` seconds later (it waited for the load, seconds the first time in a process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one_round(tokens: int, after: float, scenario: str) -> dict[str, float]:
    """In this process: the window, an accept, Ctrl+Q; the figures of the close."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench_window import build_long_document
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtTest import QTest

    from annotator.store import Project
    from annotator.ui.app import make_application
    from annotator.ui.launcher import Launcher
    from annotator.ui.preferences import Preferences

    folder = Path(tempfile.mkdtemp(prefix="bench-close-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    app = make_application()
    QCoreApplication.setOrganizationName("bench-close")
    path = folder / "long.annotator"
    if scenario == "import":  # short articles as an import leaves them: no tokens yet
        from annotator.services.importing import import_into_file

        source = folder / "articles.jsonl"
        words = [
            "Alice",
            "Martin",
            "rejoint",
            "la",
            "société",
            "Acme",
            "à",
            "Paris",
            "puis",
            "visite",
            "Lyon",
        ]
        with source.open("w", encoding="utf-8") as out:
            for number in range(tokens // 42):
                body = " ".join(words[(number + i) % len(words)] for i in range(40))
                out.write(json.dumps({"text": f"Article {number} : {body}"}) + "\n")
        import_into_file(path, [source])
    else:
        build_long_document(path, tokens, tokens // 10, tokens // 100)
        with Project.open(path) as project:
            project.set_state("last_document", 2)  # the long one
    launcher = Launcher(Preferences())
    launcher.open_project(path)
    window = launcher.window
    window.activateWindow()
    window.view.setFocus()
    settle = time.perf_counter()
    while time.perf_counter() - settle < 0.5:  # the window shown and painted
        app.processEvents()
    if scenario == "search":
        QTest.keyClick(window.view, Qt.Key.Key_Tab)
        QTest.keyClick(window.view, Qt.Key.Key_A)
    started = time.perf_counter()
    while time.perf_counter() - started < after:  # Ctrl+Q a moment after the accept
        app.processEvents()
    searching = (
        window.view.propagation().searching()
        if scenario == "search"
        else window.tokenizer.label.isHidden()  # still loading the tokenizer: no count yet
    )

    def cpu() -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    cpu_before, wall_before = cpu(), time.perf_counter()
    QTest.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    wall, cpu_after = time.perf_counter() - wall_before, cpu()
    assert launcher.window is None, "the window did not close"
    try:  # as run_gui does before the program exits (code from before it: nothing to wait)
        from annotator.ui.background_pass import wait_for_detached
    except ImportError:
        pass
    else:
        wait_for_detached()
    return {
        "searching": float(searching),
        "wall_s": wall,
        "cpu_s": cpu_after[0] - cpu_before[0],
        "search_cpu_s": cpu_after[1] - cpu_before[1],
    }


def run_in(tree: Path, tokens: int, after: float, scenario: str) -> dict[str, float]:
    """A round in a new process with ``tree``'s code."""
    env = dict(os.environ, PYTHONPATH=str(tree), QT_QPA_PLATFORM="offscreen")
    script = tree / "benchmarks" / "bench_close.py"
    if not script.exists():  # a baseline from before this script: ours, on its code
        script = Path(__file__).resolve()
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "--round",
            "--tokens",
            str(tokens),
            "--after",
            str(after),
            "--scenario",
            scenario,
        ],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--after", type=float, default=0.3, help="seconds before Ctrl+Q")
    parser.add_argument("--scenario", choices=("search", "import"), default="search")
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--round", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.round:
        sys.path.insert(0, str(HERE))
        print(json.dumps(one_round(options.tokens, options.after, options.scenario)))
        return 0
    trees = [("ours", HERE.parent)]
    if options.baseline is not None:
        trees.insert(0, ("baseline", options.baseline.resolve()))
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for _ in range(options.repeat):
        for name, tree in trees:  # a round of each in turn: the machine's load is shared
            results[name].append(run_in(tree, options.tokens, options.after, options.scenario))
    what = (
        f"after an accept in a {options.tokens:,}-token document (busy: a search ran)"
        if options.scenario == "search"
        else f"after opening a fresh import of {options.tokens:,} tokens (busy: the "
        "tokenizer was still loading)"
    )
    print(f"Ctrl+Q {options.after} s {what}, {options.repeat} rounds")
    print(f"{'code':<9} {'busy':>9} {'wall s':>14} {'UI CPU s':>10} {'search CPU s':>13}")
    for name, rounds in results.items():
        walls = [r["wall_s"] for r in rounds]
        print(
            f"{name:<9} {sum(r['searching'] for r in rounds):>5.0f}/{len(rounds):<3}"
            f" {statistics.median(walls):>6.3f} ({min(walls):.2f}-{max(walls):.2f})"
            f" {statistics.median(r['cpu_s'] for r in rounds):>10.3f}"
            f" {statistics.median(r['search_cpu_s'] for r in rounds):>13.3f}"
        )
    return 0


if __name__ == "__main__":  # the search process is spawned: it imports this file again
    sys.exit(main())
