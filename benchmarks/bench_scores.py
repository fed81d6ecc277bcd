"""What ``annotator suggest --scores beam`` costs and whether its scores rank suggestions.

    .venv/bin/python benchmarks/bench_scores.py [--model fr_core_news_md] [--conll PATH]
        [--unit-tokens 500]

On the Europeana French newspaper NER file (cut into documents by the CoNLL reader, as
``bench_loop.py`` does), the same pipeline twice over the same texts: greedy ``nlp.pipe`` (what
``suggest`` runs by default) and ``nlp.pipe`` with ``beam_scores``'s two components (the
scores of ``--scores beam``). Both after an untimed warm-up; tokens/s over wall and CPU time
(user + system of this process). The entities must be the same.

Then calibration: the scored entities of the schema's labels (PER, LOC, ORG) binned by score,
with the share of each bin that is in the gold (exact offsets and label): scores that rank
put more right entities in the high bins. And per document, how well each signal ``sample
--strategy uncertain`` could take finds the documents where the model is wrong: the Spearman
rank correlation of the signal with the model's errors there (its entities not in the gold
plus the gold entities it missed), and of the signal per token with the errors per token:
closeness to 0.5 summed (``1 - |2 score - 1|``, what ``uncertain`` takes) and its mean, least
confidence summed (``1 - score``, tried and not kept: docs/large-corpora.md), and the number
of entities alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import spacy
from bench_loop import EUROPEANA, LABELS
from bench_sampling import cut_into_units

from annotator.io.conll import TOKENS_PER_DOCUMENT, read_conll
from annotator.suggest.beam_scores import BEAM_WIDTH, add_beam_scores, entity_score

BINS = 10


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(
    nlp: spacy.language.Language, texts: list[str]
) -> tuple[list[spacy.tokens.Doc], float, float]:
    list(nlp.pipe(texts[:5]))  # warm-up
    started, used = time.perf_counter(), cpu()
    docs = list(nlp.pipe(texts))
    return docs, time.perf_counter() - started, cpu() - used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="fr_core_news_md")
    parser.add_argument("--conll", type=Path, default=EUROPEANA, help="the Europeana file")
    parser.add_argument("--unit-tokens", type=int, default=TOKENS_PER_DOCUMENT)
    args = parser.parse_args()
    if not args.conll.exists():
        raise SystemExit(f"{args.conll} is missing (the shared fixtures); pass --conll")
    with tempfile.TemporaryDirectory(prefix="bench-scores-") as tmp:
        conll = args.conll
        if args.unit_tokens != TOKENS_PER_DOCUMENT:
            conll = cut_into_units(args.conll, args.unit_tokens, Path(tmp) / "units.bio")
        records = list(read_conll(conll))
    texts = [record.text for record in records]
    gold = [{(s.start, s.end, s.label) for s in record.spans} for record in records]
    nlp = spacy.load(args.model)
    greedy, greedy_wall, greedy_cpu = timed(nlp, texts)
    add_beam_scores(nlp)
    scored, beam_wall, beam_cpu = timed(nlp, texts)
    tokens = sum(len(doc) for doc in greedy)
    same = [[(e.start, e.end, e.label_) for e in d.ents] for d in greedy] == [
        [(e.start, e.end, e.label_) for e in d.ents] for d in scored
    ]
    print(f"{len(texts)} documents, {tokens:,} tokens, {args.model}; load {os.getloadavg()[0]:.1f}")
    print()
    print("| run | wall s | CPU s | tokens/s (wall) | tokens/s (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name, wall, used in (
        ("greedy `nlp.pipe` (default)", greedy_wall, greedy_cpu),
        (f"with beam scores (width {BEAM_WIDTH}, per sentence)", beam_wall, beam_cpu),
    ):
        print(f"| {name} | {wall:.1f} | {used:.1f} | {tokens / wall:,.0f} | {tokens / used:,.0f} |")
    print(f"\nbeam / greedy CPU: {beam_cpu / greedy_cpu:.2f}; same entities: {same}")

    counts, right = [0] * BINS, [0] * BINS
    closeness: list[list[float]] = []
    doubt: list[list[float]] = []
    errors: list[int] = []
    for doc, truth in zip(scored, gold, strict=True):
        mine = []
        keys = set()
        for ent in doc.ents:
            if ent.label_ not in LABELS:
                continue
            score = entity_score(ent) or 0.0
            index = min(BINS - 1, int(score * BINS))
            counts[index] += 1
            keys.add((ent.start_char, ent.end_char, ent.label_))
            right[index] += (ent.start_char, ent.end_char, ent.label_) in truth
            mine.append(score)
        closeness.append([1.0 - abs(2.0 * score - 1.0) for score in mine])
        doubt.append([1.0 - score for score in mine])
        errors.append(len(keys ^ {key for key in truth if key[2] in LABELS}))
    print("\n| score | entities | in the gold |")
    print("|---|---:|---:|")
    for index in range(BINS):
        share = f"{right[index] / counts[index]:.3f}" if counts[index] else "-"
        bounds = f"{index / BINS:.1f}–{(index + 1) / BINS:.1f}"
        print(f"| {bounds} | {counts[index]} | {share} |")
    total = sum(counts)
    print(f"| all | {total} | {sum(right) / max(1, total):.3f} |")
    highest = [max(values, default=0.0) for values in closeness]
    summed = [sum(values) for values in closeness]
    print(
        f"\nper document, closeness to 0.5: max >= 0.9 in {sum(m >= 0.9 for m in highest)} of "
        f"{len(highest)} documents; deciles of the sum: "
        + ", ".join(f"{q:.1f}" for q in statistics.quantiles(summed, n=10))
    )
    lengths = [len(doc) for doc in scored]
    signals = {
        "closeness to 0.5, summed (`uncertain`)": summed,
        "least confidence, summed (`1 - score`)": [sum(v) for v in doubt],
        "closeness to 0.5, mean": [statistics.mean(v) if v else 0.0 for v in closeness],
        "number of the model's entities": [float(len(v)) for v in doubt],
    }
    print("\n| per document signal | rank correlation with the model's errors | per token |")
    print("|---|---:|---:|")
    per_token = [e / n for e, n in zip(errors, lengths, strict=True)]
    for name, values in signals.items():
        mean_values = [v / n for v, n in zip(values, lengths, strict=True)]
        print(
            f"| {name} | {spearman(values, errors):.3f} | {spearman(mean_values, per_token):.3f} |"
        )


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation (ties share their mean rank)."""
    return float(np.corrcoef(_ranks(xs), _ranks(ys))[0, 1])


def _ranks(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    _, inverse, counts = np.unique(array, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    return (starts + (counts - 1) / 2.0)[inverse]


if __name__ == "__main__":
    main()
