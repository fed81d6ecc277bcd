"""Times ``annotator merge`` and ``annotator agreement`` on three annotators' projects.

    .venv/bin/python benchmarks/bench_team.py [--documents 1000 10000] [--baseline DIR]

For each size N it makes three projects (annotators a, b, c) holding the same N documents of
about 300 tokens, each with about 33 accepted spans and 3 relations; each annotator differs
from the others on a few spans per document (a label, a boundary, a span left out), and every
document is done. Then, each in a new process so that its peak memory is its own:

- ``merge``: ``annotator merge`` of the three into a new project;
- ``agreement``: ``annotator agreement --json`` on the three;
- ``raw read``: the floor, reading every span of the three files with plain ``sqlite3``
  (no matching, no figures).

With ``--baseline DIR`` (a source tree of an earlier commit, e.g. made by
``git worktree add --detach DIR 085dabc`` and ``ln -s ../resources DIR/annotator/resources``),
merge and agreement are also timed with that tree's code on the same files, one after the
other, and printed beside the current figures. The child runs in DIR: ``python -c`` puts its
working folder first on the path, which would otherwise run the current code twice.

The goal (issue "Teams"): merge and agreement of 3 x 10,000 documents in 10 s or less each,
with memory that does not grow with the corpus. The table gives each command's CPU seconds
(user + system, its own: what a loaded machine inflates least) beside the wall seconds, and
the goal beside them; the load average is printed with it.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from annotator.model import Document, ProjectSettings, Relation, Span
from annotator.store import Project

WORDS = (  # noqa: SIM905
    "le gouvernement a annoncé mardi une réforme des retraites qui sera présentée au "
    "parlement la semaine prochaine selon plusieurs sources proches du dossier"
).split()
LABELS = ("PER", "ORG", "LOC", "MISC")
GOAL_SECONDS = 10.0  # merge, and agreement, of 3 x 10,000 documents


def document(number: int) -> tuple[str, list[tuple[int, int]]]:
    """About 300 tokens, separated by spaces; returns the text and its token offsets."""
    rng = random.Random(number)
    words = [f"Doc{number}"] + [rng.choice(WORDS) for _ in range(299)]
    tokens, position = [], 0
    for word in words:
        tokens.append((position, position + len(word)))
        position += len(word) + 1
    return " ".join(words), tokens


def spans_for(number: int, tokens: list[tuple[int, int]], annotator: int) -> list[tuple]:
    """About 33 spans on every 9th token; each annotator changes a few of them."""
    rng = random.Random(number * 7 + annotator)
    found = []
    for index in range(1, len(tokens) - 1, 9):
        label = LABELS[(index // 9) % 4]
        start, end = tokens[index][0], tokens[index][1]
        change = rng.random()
        if change < 0.04:
            continue  # left out
        if change < 0.08:
            label = LABELS[(index // 9 + 1) % 4]  # another label
        elif change < 0.12:
            end = tokens[index + 1][1]  # a longer span
        found.append((start, end, label))
    return found


def make_projects(folder: Path, size: int) -> list[Path]:
    paths = []
    texts = [document(n) for n in range(size)]
    for annotator, name in enumerate("abc"):
        path = folder / f"{name}.annotator"
        with Project.create(path, ProjectSettings(annotator=name)) as project:
            ids = project.add_documents_bulk(
                [Document(text=t, tokens=tuple(tok), status="done") for t, tok in texts]
            )
            spans, relations = [], []
            for (doc_id, _), (number, (_text, tokens)) in zip(ids, enumerate(texts), strict=True):
                made = [
                    Span(doc_id=doc_id, start=s, end=e, label=label)
                    for s, e, label in spans_for(number, tokens, annotator)
                ]
                spans += made
                people = [s for s in made if s.label == "PER"]
                places = [s for s in made if s.label == "LOC"]
                relations += [
                    Relation(doc_id=doc_id, head=p.id, child=c.id, label="located_in")
                    for p, c in list(zip(people, places, strict=False))[:3]
                ]
            with project.transaction():
                project.add_spans(spans)
                project.add_relations(relations)
        paths.append(path)
    return paths


PEAK = (
    "import re; print('PEAK', int(re.search(r'VmHWM:\\s+(\\d+)', "
    "open('/proc/self/status').read()).group(1)) / 1024, file=sys.stderr)"
)  # VmHWM: this process's own peak (ru_maxrss would count the parent's, forked from)


def _timed(arguments: list[str], source: Path | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of a Python child process (importing
    ``annotator`` from ``source`` if given)."""
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(  # ``-c`` puts the working folder first on the path: run in source
        [sys.executable, *arguments], capture_output=True, text=True, env=env, cwd=source
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = float(done.stderr.strip().splitlines()[-1].split()[1])
    return wall, cpu, peak


def run(command: list[str], source: Path | None = None) -> tuple[float, float, float]:
    """``annotator COMMAND`` in a new process (with the code of ``source`` if given)."""
    code = (
        "import sys\nfrom annotator.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code or 0\n"
        f"else:\n    code = 0\n{PEAK}\nsys.exit(code)"
    )
    return _timed(["-c", code, *command], source)


def raw_read(paths: list[Path]) -> tuple[float, float, float]:
    """The floor: every span of the three files read with plain sqlite3."""
    code = (
        "import sqlite3, sys\n"
        "for path in sys.argv[1:]:\n"
        "    for row in sqlite3.connect(path).execute("
        "'SELECT doc_id, start, end, label, status FROM spans ORDER BY doc_id'):\n"
        "        pass\n"
        f"{PEAK}\n"
    )
    return _timed(["-c", code, *map(str, paths)])


def _commands(folder: Path, paths: list[Path]) -> dict[str, list[str]]:
    merged = folder / "merged.annotator"
    for leftover in (merged, *folder.glob("merged.annotator-*")):
        leftover.unlink(missing_ok=True)
    return {
        "merge": ["merge", str(merged), *map(str, paths)],
        "agreement": ["agreement", "--json", *map(str, paths)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--baseline", type=Path, help="an earlier source tree, timed alike")
    parser.add_argument("--make", type=Path, help=argparse.SUPPRESS)  # child: make the files
    args = parser.parse_args()
    if args.make:
        make_projects(args.make, args.documents[0])
        return
    rows, baseline_rows = [], []
    for size in args.documents:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            subprocess.run(  # in a process of its own, so that its memory is not ours
                [sys.executable, __file__, "--make", tmp, "--documents", str(size)], check=True
            )
            paths = [folder / f"{name}.annotator" for name in "abc"]
            measures = {name: run(command) for name, command in _commands(folder, paths).items()}
            rows.append((size, measures["merge"], measures["agreement"], raw_read(paths)))
            if args.baseline:
                before = {
                    name: run(command, args.baseline)
                    for name, command in _commands(folder, paths).items()
                }
                baseline_rows.append((size, before, measures))
    print(f"load average {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    print(
        "| documents x 3 | merge s (CPU s) | merge peak MB | agreement s (CPU s) "
        "| agreement peak MB | raw read s (CPU s) | raw read peak MB | goal |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size, *measures in rows:
        cells = []
        for wall, cpu, peak in measures:
            cells += [f"{wall:.1f} ({cpu:.1f})", f"{peak:.0f}"]
        met = all(cpu <= GOAL_SECONDS for _wall, cpu, _peak in measures[:2])
        goal = f"<= {GOAL_SECONDS:.0f} s each at 10,000: {'met' if met else 'not met'} (CPU)"
        print(f"| {size:,} | " + " | ".join(cells) + f" | {goal if size == 10_000 else ''} |")
    if baseline_rows:
        print(f"\nbaseline {args.baseline} against the current code, same files:")
        print(
            "| documents x 3 | command | baseline s (CPU s) | peak MB | now s (CPU s) | peak MB |"
        )
        print("|---|---|---|---|---|---|")
        for size, before, now in baseline_rows:
            for name in before:
                (b_wall, b_cpu, b_peak), (n_wall, n_cpu, n_peak) = before[name], now[name]
                print(
                    f"| {size:,} | {name} | {b_wall:.1f} ({b_cpu:.1f}) | {b_peak:.0f} "
                    f"| {n_wall:.1f} ({n_cpu:.1f}) | {n_peak:.0f} |"
                )


if __name__ == "__main__":
    main()
