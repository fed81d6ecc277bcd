"""How many propagated suggestions are right: a person annotates the first K documents of the
Europeana French NER CoNLL file and every propagated suggestion is checked against its gold.

    .venv/bin/python benchmarks/bench_propagation.py                     # K = 10, 20, 40
    .venv/bin/python benchmarks/bench_propagation.py --first 20 --conll PATH
    .venv/bin/python benchmarks/bench_propagation.py --model fr_core_news_md

The simulated person works through the first K documents in order, as in the window: first
they decide the pending propagated suggestions of the document (accepted when the gold has
that span with that label, rejected otherwise), then they add each gold span not there yet,
and each acceptance propagates at once (``propagate_from``, the window's propagation). The
document is then done. Propagated suggestions decided in those K documents and those left
pending in the others are all compared with the gold (same offsets and label): precision is
right / proposed. A ``suggest`` run over the remaining documents afterwards (the run's
``PhraseMatcher`` propagation, next to the entities of ``--model``, ``blank`` by default) is
counted too; only its propagated suggestions are.

The script uses only functions that also exist before the change, so the "before" figure is
the same script run with ``PYTHONPATH`` on the older code.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

from annotator import edits
from annotator.io.conll import read_conll
from annotator.model import Document, Span
from annotator.services.suggesting import SuggestOptions, propagate_from, run_suggestions
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
CONLL = ROOT.parent / "shared" / "fixtures" / "conll" / "fr_europeana_bnf_first2000.bio"
PROPAGATION = "propagation"

Key = tuple[int, int, str]


@dataclass
class Count:
    proposed: int = 0
    right: int = 0

    def add(self, right: bool) -> None:
        self.proposed += 1
        self.right += int(right)

    def __str__(self) -> str:
        share = self.right / self.proposed if self.proposed else 0.0
        return f"{self.right:4d} / {self.proposed:4d} right ({share:.0%})"


def load(path: Path, tokens_per_document: int) -> list[tuple[Document, set[Key]]]:
    return [
        (
            Document(text=record.text, tokens=record.tokens),
            {(span.start, span.end, span.label) for span in record.spans},
        )
        for record in read_conll(path, tokens_per_document=tokens_per_document)
    ]


def simulate(
    corpus: list[tuple[Document, set[Key]]], first: int, folder: Path, model: str = "blank"
) -> None:
    with Project.create(folder / f"bench_{first}.annotator") as project:
        doc_ids = [project.add_document(document)[0] for document, _ in corpus]
        gold = {doc_id: keys for doc_id, (_, keys) in zip(doc_ids, corpus, strict=True)}
        window = Count()
        for doc_id in doc_ids[:first]:
            for span in project.spans(doc_id, "suggested"):
                right = (span.start, span.end, span.label) in gold[doc_id]
                window.add(right)
                project.apply(edits.accept_span(span) if right else edits.reject_span(span))
            there = {(s.start, s.end, s.label) for s in project.spans(doc_id)}
            for start, end, label in sorted(gold[doc_id] - there):
                overlapping = [s for s in project.spans(doc_id) if s.start < end and start < s.end]
                if any(s.status == "accepted" for s in overlapping):
                    continue  # gold spans do not overlap; an accepted one is another gold span
                span = Span(doc_id=doc_id, start=start, end=end, label=label)
                project.apply(edits.add_span(span))
                propagate_from(project, span)
            project.set_document_status(doc_id, "done")
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                window.add((span.start, span.end, span.label) in gold[doc_id])
        # the remaining documents again, through a suggestion run instead
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                project.apply(edits.remove_span(span, []))
        run_suggestions(project, SuggestOptions(model=model, default_rules=False))
        run = Count()
        for doc_id in doc_ids[first:]:
            for span in project.spans(doc_id, "suggested"):
                if span.origin == PROPAGATION:
                    run.add((span.start, span.end, span.label) in gold[doc_id])
        print(f"K = {first:3d}   window propagation {window}   suggest run {run}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conll", type=Path, default=CONLL)
    parser.add_argument("--first", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--tokens-per-document", type=int, default=200)
    parser.add_argument("--model", default="blank", help="pipeline of the suggest run")
    arguments = parser.parse_args()
    if not arguments.conll.is_file():
        parser.error(f"{arguments.conll}: not found (the shared fixtures, see --conll)")
    corpus = load(arguments.conll, arguments.tokens_per_document)
    print(f"{arguments.conll.name}: {len(corpus)} documents of ~{arguments.tokens_per_document}")
    with tempfile.TemporaryDirectory() as folder:
        for first in arguments.first:
            simulate(corpus, first, Path(folder), arguments.model)


if __name__ == "__main__":
    main()
