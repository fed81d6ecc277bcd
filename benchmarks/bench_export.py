"""Times exporting a project to a spaCy DocBin, side by side with building it with spaCy alone.

    .venv/bin/python benchmarks/bench_export.py [--documents 10000]

The corpus: N finished documents of about 40 tokens, each with 4 accepted entities (one
overlapping another) and 1 relation. Rows:

- ``spaCy alone``: texts and offsets already in memory; ``nlp.make_doc`` + ``Doc.char_span``
  + ``doc.ents`` / ``doc.spans`` / ``doc._.rel`` (the same content as ours) + ``DocBin.to_disk``.
  The floor: no project file, no selection, no checks, no report.
- ``export_project``: our export service in this process, from the SQLite project file
  (documents, tokens, spans and relations read per document, misaligned check, overlap rule,
  relation 0.0 labels, staged write and move, export event logged).
- ``annotator export``: the command a user types, in a new process (start-up and imports
  included).

It checks that both DocBins hold the same texts, entities and spans before printing the table.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import spacy
from spacy.tokens import DocBin
from spacy.util import filter_spans

from annotator.io.docbin_writer import ensure_rel_extension, relations_of
from annotator.model import Document, Relation, Span
from annotator.services.exporting import export_project
from annotator.store import Project

FIRST = ("Brad", "Marie", "Jean", "Sophie", "Paul", "Claire", "Louis", "Emma")
LAST = ("Smith", "Curie", "Dupont", "Martin", "Bernard", "Petit", "Moreau")
COMPANIES = ("Microsoft", "Renault", "Airbus", "Danone", "Orange", "Deepseek")
CITIES = ("Paris", "Lyon", "Redmond", "Toulouse", "Nantes", "Pékin")
Entity = tuple[int, int, str]
Record = tuple[str, list[Entity], list[tuple[int, int, str]]]


def make_corpus(size: int) -> list[Record]:
    """(text, entities, relations as (head entity, child entity, label)) per document."""
    records = []
    for n in range(size):
        first, last = FIRST[n % 8], LAST[(n // 8) % 7]
        company, city = COMPANIES[n % 6], CITIES[(n // 6) % 6]
        text = (
            f"{first} {last} travaille pour {company} à {city} depuis {n} ans, selon un "
            f"communiqué publié mardi par la direction de {company} qui cite des sources "
            "proches du dossier et confirme la nouvelle."
        )
        person_end = len(first) + 1 + len(last)
        company_at = text.index(company)
        city_at = text.index(city, company_at)
        entities = [
            (0, person_end, "PER"),
            (0, len(first), "PER"),  # overlaps the full name: spans only
            (company_at, company_at + len(company), "ORG"),
            (city_at, city_at + len(city), "LOC"),
        ]
        records.append((text, entities, [(0, 2, "works_for")]))
    return records


def build_project(path: Path, records: list[Record], lang: str = "fr") -> None:
    tokenizer = spacy.blank(lang).tokenizer
    with Project.create(path) as project, project.transaction():
        documents = []
        for text, _, _ in records:
            doc = tokenizer(text)
            tokens = tuple((t.idx, t.idx + len(t)) for t in doc)
            documents.append(Document(text=text, tokens=tokens, status="done"))
        ids = [doc_id for doc_id, _ in project.add_documents_bulk(documents)]
        spans: list[Span] = []
        relations: list[Relation] = []
        for doc_id, (_, entities, links) in zip(ids, records, strict=True):
            made = [Span(doc_id=doc_id, start=s, end=e, label=label) for s, e, label in entities]
            spans.extend(made)
            relations.extend(
                Relation(doc_id=doc_id, head=made[h].id, child=made[c].id, label=label)
                for h, c, label in links
            )
        project.add_spans_bulk(spans)
        project.add_relations_bulk(relations)


def spacy_alone(records: list[Record], output: Path, relation_labels: tuple[str, ...]) -> None:
    """The same DocBin content, built straight from in-memory offsets with spaCy."""
    ensure_rel_extension()
    nlp = spacy.blank("fr")
    doc_bin = DocBin(store_user_data=True)
    for text, entities, links in records:
        doc = nlp.make_doc(text)
        spans = [doc.char_span(s, e, label=label) for s, e, label in entities]
        doc.spans["sc"] = spans
        doc.ents = filter_spans(spans)
        pairs = ((spans[h], spans[c], label) for h, c, label in links)
        doc._.rel = relations_of(pairs, spans, relation_labels, complete=True)
        doc_bin.add(doc)
    doc_bin.to_disk(output)


def content(path: Path) -> list[tuple]:
    ensure_rel_extension()
    docs = DocBin().from_disk(path).get_docs(spacy.blank("fr").vocab)
    return [
        (
            doc.text,
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]),
            doc._.rel,
        )
        for doc in docs
    ]


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    args = parser.parse_args()
    records = make_corpus(args.documents)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project_path = root / "bench.annotator"
        setup = timed(build_project, project_path, records)
        with Project.open(project_path, read_only=True) as project:
            labels = project.schema.relation_names
        baseline = root / "baseline.spacy"
        rows = [("spaCy alone (in-memory offsets)", timed(spacy_alone, records, baseline, labels))]
        with Project.open(project_path) as project:
            ours = root / "ours"
            rows.append(
                (
                    "export_project (service, from the project file)",
                    timed(export_project, project, "spacy", ours, split=(1.0,)),
                )
            )
        command = [sys.executable, "-m", "annotator", "export", str(project_path)]
        command += ["--format", "spacy", "--split", "1", "--output", str(root / "cli")]
        rows.append(
            (
                "annotator export (command, new process)",
                timed(subprocess.run, command, check=True, capture_output=True),
            )
        )
        same = content(baseline) == content(ours / "train.spacy")
        same_cli = content(baseline) == content(root / "cli" / "train.spacy")
    print(f"Export of {args.documents:,} documents to DocBin (project built in {setup:.1f} s)")
    print(f"same DocBin content as spaCy alone: service {same}, command {same_cli}")
    print()
    print(f"| {'how':<50} | {'seconds':>8} | {'docs/s':>8} | {'vs spaCy':>8} |")
    print(f"|{'-' * 52}|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|")
    for name, seconds in rows:
        ratio = seconds / rows[0][1]
        print(
            f"| {name:<50} | {seconds:>8.2f} | {args.documents / seconds:>8,.0f} | {ratio:>7.2f}x |"
        )
    if not (same and same_cli):
        sys.exit("the DocBins differ")


if __name__ == "__main__":
    main()
