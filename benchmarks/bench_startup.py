"""Times the commands' start-up, each a new process as a shell runs it, against Python alone.

    .venv/bin/python benchmarks/bench_startup.py [--repeat N] [--documents N] [--baseline DIR]

Rows: ``annotator --help``; ``annotator stats`` on a project of 10,000 short documents (a third
with an accepted and a suggested span); ``annotator import`` of one small text file into a new
project (this one loads spaCy's French tokenizer). The baseline is ``python -c pass``: the
interpreter's own start. Medians of wall time and of the process's CPU time (user + system);
on a loaded machine the wall time grows, the CPU time much less. ``--baseline DIR`` (an
earlier source tree, e.g. ``git worktree add --detach DIR COMMIT``) adds ``--help`` and
``stats`` with its code and with ours, a run of each in turn, side by side.

Each command runs once untimed first, with ``PYTHONDONTWRITEBYTECODE`` removed from its
environment, so that Python's bytecode caches exist, as they do for an installed package (pip
compiles them at install time); without them every run compiles the package's modules again.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_window import build_project

ROOT = Path(__file__).resolve().parents[1]


ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(
    command: list[str], repeat: int, warm_up: list[str] | None = None, tree: Path = ROOT
) -> tuple[float, float]:
    """Median wall and CPU seconds of ``command`` run ``repeat`` times in ``tree`` (its code:
    ``-m annotator`` finds the package in the working folder first), after one untimed run
    of ``warm_up`` (``command`` itself by default)."""
    environment = {**ENVIRONMENT, "PYTHONPATH": str(tree)}
    subprocess.run(warm_up or command, cwd=tree, check=True, capture_output=True, env=environment)
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=tree, check=True, capture_output=True, env=environment)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def side_by_side(command: list[str], repeat: int, baseline: Path) -> list[tuple[float, float]]:
    """``command`` with the baseline's code and with ours, a run of each in turn (the machine
    drifts): [(median wall, median CPU) of the baseline, of ours]."""
    runs: list[list[tuple[float, float]]] = [[], []]
    for _ in range(repeat):
        for side, tree in enumerate((baseline, ROOT)):
            runs[side].append(timed(command, 1, tree=tree))
    return [
        (statistics.median(wall for wall, _ in side), statistics.median(cpu for _, cpu in side))
        for side in runs
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="an earlier source tree: --help and stats with its code and ours, in turns",
    )
    args = parser.parse_args()
    annotator = [sys.executable, "-m", "annotator"]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "stats.annotator"
        build_project(project, args.documents)
        text = Path(folder) / "note.txt"
        text.write_text("Brad Smith, président de Microsoft, était à Paris.\n", encoding="utf-8")
        rows.append(
            (
                "python -c pass (the interpreter alone)",
                *timed([sys.executable, "-c", "pass"], args.repeat),
            )
        )
        rows.append(("annotator --help", *timed([*annotator, "--help"], args.repeat)))
        rows.append(
            (
                f"annotator stats ({args.documents:,} documents)",
                *timed([*annotator, "stats", str(project)], args.repeat),
            )
        )
        imports = []
        for number in range(args.repeat):
            target = Path(folder) / f"import-{number}.annotator"
            warm_up = [
                *annotator,
                "import",
                str(target.with_name(f"warm-{number}.annotator")),
                str(text),
            ]
            imports.append(timed([*annotator, "import", str(target), str(text)], 1, warm_up))
        rows.append(
            (
                "annotator import (one small file, new project)",
                statistics.median(wall for wall, _ in imports),
                statistics.median(cpu for _, cpu in imports),
            )
        )
        if args.baseline:
            compared = [
                (name, *side_by_side([*annotator, *argv], args.repeat, args.baseline.resolve()))
                for name, argv in (
                    ("annotator --help", ["--help"]),
                    (f"annotator stats ({args.documents:,} documents)", ["stats", str(project)]),
                )
            ]
    print(f"Command start-up, new process each run, median of {args.repeat}")
    print()
    print("| command | wall s | CPU s |")
    print("|---|---:|---:|")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    if args.baseline:
        print()
        print(f"The baseline ({args.baseline}) and ours, a run of each in turn:")
        print()
        print("| command | baseline wall s | baseline CPU s | ours wall s | ours CPU s |")
        print("|---|---:|---:|---:|---:|")
        for name, (old_wall, old_cpu), (wall, cpu) in compared:
            print(f"| {name} | {old_wall:.2f} | {old_cpu:.2f} | {wall:.2f} | {cpu:.2f} |")
    print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
