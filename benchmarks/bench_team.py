"""Times ``annotator merge`` and ``annotator agreement`` on three annotators' projects.

    .venv/bin/python benchmarks/bench_team.py [--documents 1000 10000]

For each size N it makes three projects (annotators a, b, c) holding the same N documents of
about 300 tokens, each with about 33 accepted spans and 3 relations; each annotator differs
from the others on a few spans per document (a label, a boundary, a span left out), and every
document is done. Then, each in a new process so that its peak memory is its own:

- ``merge``: ``annotator merge`` of the three into a new project;
- ``agreement``: ``annotator agreement --json`` on the three;
- ``raw read``: the floor, reading every span of the three files with plain ``sqlite3``
  (no matching, no figures).

The goal (issue "Teams"): merge and agreement of 3 x 10,000 documents in 10 s or less each,
with memory that does not grow with the corpus.
"""

from __future__ import annotations

import argparse
import random
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


def run(command: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a command run in a new process."""
    probe = (
        "import resource, runpy, sys; sys.argv = sys.argv[1:]; "
        "sys.argv[0] = 'annotator'; "
        "from annotator.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
        "else:\n    code = 0\n"
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
        "file=sys.stderr); sys.exit(code or 0)"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, "annotator", *command], capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    peak = float(done.stderr.strip().splitlines()[-1].split()[1])
    return seconds, peak


def raw_read(paths: list[Path]) -> tuple[float, float]:
    code = (
        "import resource, sqlite3, sys\n"
        "n = 0\n"
        "for path in sys.argv[1:]:\n"
        "    for row in sqlite3.connect(path).execute("
        "'SELECT doc_id, start, end, label, status FROM spans ORDER BY doc_id'):\n"
        "        n += 1\n"
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
        "file=sys.stderr)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, paths)], capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    return seconds, float(done.stderr.strip().splitlines()[-1].split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    rows = []
    for size in args.documents:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            paths = make_projects(folder, size)
            made = time.perf_counter() - started
            merge = run(["merge", str(folder / "merged.annotator"), *map(str, paths)])
            agreement = run(["agreement", "--json", *map(str, paths)])
            raw = raw_read(paths)
            rows.append((size, made, merge, agreement, raw))
    print(
        "| documents x 3 | merge s | merge peak MB | agreement s | agreement peak MB "
        "| raw read s | raw read peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, _made, merge, agreement, raw in rows:
        print(
            f"| {size:,} | {merge[0]:.1f} | {merge[1]:.0f} | {agreement[0]:.1f} | "
            f"{agreement[1]:.0f} | {raw[0]:.1f} | {raw[1]:.0f} |"
        )


if __name__ == "__main__":
    main()
