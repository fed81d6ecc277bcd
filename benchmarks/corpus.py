"""A seeded corpus shaped like the issue-14 measurement, written as doccano JSONL.

Each document is French news-like text of about 800 tokens with 33 entity spans and 3
relations (10,000 documents: about 327,000 spans, 28,000-30,000 relations, ~46 MB). Shared by
``bench_import.py`` and ``bench_export.py`` so that both measure the same corpus.
"""

from __future__ import annotations

import compileall
import contextlib
import functools
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENT = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(ROOT),
}
"""Of the processes that run our code: this tree's, with Python's bytecode caches, as an
installed package has them (pip compiles them at install time; ``python3 dev.py run`` writes
them at the first run). Where ``PYTHONDONTWRITEBYTECODE`` is set, as in the sandbox these
figures come from, every process would compile the package's modules again: 0.05-0.1 s of
each command, and of its second process."""

FIRST = ("Brad", "Marie", "Jean", "Sophie", "Paul", "Claire", "Louis", "Emma", "Hugo", "Léa")
LAST = ("Smith", "Curie", "Dupont", "Martin", "Bernard", "Petit", "Moreau", "Nadella", "Lefèvre")
COMPANIES = ("Microsoft", "Renault", "Airbus", "Danone", "Orange", "Deepseek", "Reuters", "WSJ")
PLACES = ("Paris", "Lyon", "Redmond", "Toulouse", "Nantes", "Pékin", "la Chine", "Washington")
FILLER = """le la les un une des de du et à en pour sur avec dans par selon après avant lors
accord rapport données puces modèles annonce jeudi lundi semaine marché prix croissance
technologie sécurité gouvernement l'entreprise d'après aujourd'hui qu'il n'a pas encore
publié ses résultats trimestriels mais confirme une hausse des ventes , ."""
WORDS = FILLER.split()
SPANS_PER_DOCUMENT = 33
RELATIONS_PER_DOCUMENT = 3
WORDS_PER_DOCUMENT = 700  # plus the entities' words and punctuation: ~800 tokens


def document(rng: random.Random, number: int) -> dict:
    """One doccano relation-extraction record: text, ``entities``, ``relations``."""
    parts: list[str] = []
    entities: list[dict] = []
    length = 0
    filler_between = WORDS_PER_DOCUMENT // SPANS_PER_DOCUMENT

    def add(piece: str) -> int:
        nonlocal length
        if parts:
            parts.append(" ")
            length += 1
        parts.append(piece)
        length += len(piece)
        return length - len(piece)

    add(f"Dépêche {number} :")
    for index in range(SPANS_PER_DOCUMENT):
        for word in rng.choices(WORDS, k=filler_between):
            add(word)
        kind = index % 3
        if kind == 0:
            name, label = f"{rng.choice(FIRST)} {rng.choice(LAST)}", "PER"
        elif kind == 1:
            name, label = rng.choice(COMPANIES), "ORG"
        else:
            name, label = rng.choice(PLACES), "LOC"
        start = add(name)
        end = start + len(name)
        if rng.random() < 0.03:  # a span off token boundaries, as people sometimes mark them
            start += 1
        entities.append({"id": index + 1, "start_offset": start, "end_offset": end, "label": label})
    add(".")
    relations = []
    for index in range(RELATIONS_PER_DOCUMENT):
        person = 3 * rng.randrange(SPANS_PER_DOCUMENT // 3) + 1
        relations.append(
            {
                "id": index + 1,
                "from_id": person,
                "to_id": person + (1 if index % 2 == 0 else 2),
                "type": "works_for" if index % 2 == 0 else "located_in",
            }
        )
    return {"id": number, "text": "".join(parts), "entities": entities, "relations": relations}


def write_corpus(path: Path, count: int, seed: int = 14) -> None:
    """``count`` documents as doccano JSONL at ``path`` (the same file for the same seed)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            handle.write(json.dumps(document(rng, number), ensure_ascii=False) + "\n")


def figures(seconds: float, cpu_seconds: float, **more: float) -> dict[str, float]:
    """One measured run's figures, with the process's peak memory (max RSS) so far, plus
    the largest of the processes it waited for (an import's reading process runs beside it)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "max_rss_mb": (own + children) / 1024,
        **more,
    }


@functools.cache
def compiled() -> None:
    """The package's bytecode caches, written once before anything is timed (``ENVIRONMENT``)."""
    compileall.compile_dir(ROOT / "annotator", quiet=1)


def in_new_process(script: str, *arguments: str) -> dict[str, float]:
    """Run ``script --worker ARGUMENTS`` in a fresh process (so that its peak memory is its
    own) and return the figures it printed as its last line of JSON."""
    compiled()
    result = subprocess.run(
        [sys.executable, script, "--worker", *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=ENVIRONMENT,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_watched(command: list[str], **popen: Any) -> float:
    """Run ``command`` to its end; the sum of the peak RSS (``VmHWM``, MB) of its process and
    every process it started, each as last seen (read every 50 ms from ``/proc``): an import
    reads large files in a second process, and both are alive at once."""
    process = subprocess.Popen(command, **popen)
    peaks: dict[int, float] = {}
    while process.poll() is None:
        for pid in process_tree([process.pid]):
            peak = peak_rss_mb(pid)
            if peak is not None:
                peaks[pid] = peak
        time.sleep(0.05)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return sum(peaks.values())


def peak_rss_mb(pid: int) -> float | None:
    """A process' peak RSS so far (``VmHWM``, MB), None once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def process_tree(roots: list[int]) -> list[int]:
    """``roots`` and their descendants, from ``/proc``: each process' own list of children
    where the kernel keeps one (a few reads; ``run_watched`` asks every 50 ms, and reading
    every process' ``stat`` took 3 ms of the CPU the measured commands run on), else from
    every process' parent."""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        return _process_tree_by_parents(roots)
    found, pending = [], list(roots)
    while pending:
        pid = pending.pop()
        found.append(pid)
        with contextlib.suppress(OSError):  # gone meanwhile
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
    return found


def _process_tree_by_parents(roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], list(roots)
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending += children.get(pid, [])
    return found


class Timer:
    """Wall-clock and CPU seconds of a ``with`` block (CPU is what a loaded machine keeps),
    the CPU of the processes it started and waited for included (an import's reading
    process, spaCy's workers)."""

    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        self.times_started = os.times()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self.started
        now, then = os.times(), self.times_started
        self.cpu_seconds = sum(now[:4]) - sum(then[:4])  # user, system, children's both
        # the kernel's share (creating files: on this ext4 it swings several-fold with what
        # was deleted before), also counted in cpu_seconds
        self.system_seconds = (now.system + now.children_system) - (
            then.system + then.children_system
        )


def markdown_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]  # then the rows
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
