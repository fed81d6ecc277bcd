"""``annotator suggest`` against the same model's raw ``nlp.pipe`` + ``doc.ents``, side by side.

    .venv/bin/python benchmarks/bench_suggest.py                  # 2,000 documents, sm and md
    .venv/bin/python benchmarks/bench_suggest.py --docs 200 --models fr_core_news_sm

The documents are French news-like texts made by recombining the sample article's sentences
with other names, organisations and places (no download). "ours" is the whole suggestion run
(model entities, the shipped French relation rules, propagation, storing in the project, one
transaction per batch); "raw" is ``[list(doc.ents) for doc in nlp.pipe(texts)]``. Model loading
is left out of both (ours: timed from the first progress call, once the model is loaded; with
n_process 2, in the first worker), and raw gets an untimed warm-up batch. "ours total" is the
whole ``run_suggestions`` call, model loading included. "main CPU" is the CPU time (user +
system) of the main process over the timed part; "workers CPU", that of the worker processes
over the whole call (their model loading included).
Prints a table: tokens/s, ours/raw, the speed-ups of n_process=2, and the machine's load.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import tempfile
import time
from pathlib import Path

import spacy

from annotator.model import Document
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "seeds" / "000_e18a1e497362b71d.txt"

PEOPLE = [
    "Brad Smith",
    "Satya Nadella",
    "Sundar Pichai",
    "Tim Cook",
    "Jensen Huang",
    "Christine Lagarde",
    "Thierry Breton",
    "Xavier Niel",
    "Bernard Arnault",
    "Margrethe Vestager",
    "Sam Altman",
    "Lisa Su",
    "Patrick Pouyanné",
    "Anne Hidalgo",
]
LEADERS = [
    "Donald Trump",
    "Joe Biden",
    "Emmanuel Macron",
    "Olaf Scholz",
    "Giorgia Meloni",
    "Narendra Modi",
    "Xi Jinping",
    "Pedro Sánchez",
]
ORGS = [
    "Microsoft",
    "Google",
    "Apple",
    "NVIDIA",
    "Amazon",
    "Orange",
    "Airbus",
    "Thales",
    "Capgemini",
    "Dassault Systèmes",
    "Mistral AI",
    "Samsung",
    "Intel",
    "OpenAI",
]
PAPERS = [
    "Wall Street Journal",
    "Financial Times",
    "Monde",
    "Figaro",
    "New York Times",
    "Echos",
    "Bloomberg",
]
AGENCIES = ["Reuters", "l'AFP", "Bloomberg", "l'Agence France-Presse"]
PLACES = [
    "la Chine",
    "l'Inde",
    "la Suisse",
    "Israël",
    "le Japon",
    "la Corée du Sud",
    "l'Allemagne",
    "le Brésil",
    "le Canada",
    "la France",
    "l'Espagne",
    "l'Italie",
]
TITLES = ["le président", "le PDG", "le directeur général", "la présidente", "le fondateur"]
REPLACEMENTS = [
    ("le président de Microsoft, Brad Smith", "{title} de {org}, {person}"),
    ("Donald Trump", "{leader}"),
    ("Joe Biden", "{leader2}"),
    ("Wall Street Journal", "{paper}"),
    ("Reuters", "{agency}"),
    ("Microsoft", "{org}"),
    ("NVIDIA", "{org2}"),
    ("Smith", "{surname}"),
    ("Trump", "{leader_surname}"),
    ("l'Inde, la Suisse et Israël", "{place}, {place2} et {place3}"),
    ("la Chine", "{place}"),
    ("La Chine", "{Place}"),
    ("de la Chine", "de {place}"),
]


def sample_sentences() -> list[str]:
    text = SAMPLE.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n") if len(p.strip()) > 40]
    sentences = []
    for paragraph in paragraphs:
        sentences += [s for s in re.split(r"(?<=[.»])\s+(?=[A-ZÀ-Ý«])", paragraph) if s]
    return sentences


def make_documents(count: int, seed: int = 0) -> list[str]:
    """News-like French texts: 4 to 9 sample sentences with names, orgs and places varied."""
    rng = random.Random(seed)
    sentences = sample_sentences()
    texts = []
    for number in range(count):
        person = rng.choice(PEOPLE)
        leader = rng.choice(LEADERS)
        place, place2, place3 = rng.sample(PLACES, 3)
        values = {
            "title": rng.choice(TITLES),
            "org": rng.choice(ORGS),
            "org2": rng.choice(ORGS),
            "person": person,
            "surname": person.split()[-1],
            "leader": leader,
            "leader2": rng.choice(LEADERS),
            "leader_surname": leader.split()[-1],
            "paper": rng.choice(PAPERS),
            "agency": rng.choice(AGENCIES),
            "place": place,
            "place2": place2,
            "place3": place3,
            "Place": place[0].upper() + place[1:],
        }
        chosen = rng.sample(sentences, rng.randint(4, min(9, len(sentences))))
        body = " ".join(chosen)
        for old, new in REPLACEMENTS:
            body = body.replace(old, "\0" + new + "\0")
        body = body.replace("\0", "").format(**values).replace(" de le ", " du ")
        texts.append(f"Dépêche {number + 1}. {body}")
    return texts


def make_project(path: Path, texts: list[str]) -> None:
    tokenizer = spacy.blank("fr")
    with Project.create(path) as project, project.transaction():
        for text in texts:
            tokens = tuple((t.idx, t.idx + len(t)) for t in tokenizer.make_doc(text))
            project.add_document(Document(text=text, tokens=tokens))


def main_cpu(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system) of this process so far (or of its ended children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_raw(
    model: str, texts: list[str], n_process: int, batch_size: int
) -> tuple[float, float, int]:
    """(wall seconds, main CPU seconds, tokens) of raw ``nlp.pipe``."""
    nlp = spacy.load(model)
    # Untimed warm-up: the first batches of a process are slower (allocations), and raw runs
    # first; ours is left without one, so any warm-up cost left counts against ours.
    for doc in nlp.pipe(texts[:batch_size], batch_size=batch_size):
        list(doc.ents)
    started, cpu = time.perf_counter(), main_cpu()
    tokens = 0
    for doc in nlp.pipe(texts, n_process=n_process, batch_size=batch_size):
        list(doc.ents)
        tokens += len(doc)
    return time.perf_counter() - started, main_cpu() - cpu, tokens


def time_ours(
    model: str, texts: list[str], n_process: int, batch_size: int, folder: Path
) -> tuple[float, float, float, float, int, int]:
    """(wall seconds after the model loaded, wall seconds in all, main CPU seconds after the
    model loaded, the workers' CPU seconds in all, spans, relations) of ``run_suggestions``."""
    path = folder / f"bench-{model}-{n_process}.annotator"
    make_project(path, texts)
    loaded: list[tuple[float, float]] = []

    def progress(done: int, total: int) -> None:
        if not loaded:  # the first call comes once the model is loaded
            loaded.append((time.perf_counter(), main_cpu()))

    with Project.open(path) as project:
        options = SuggestOptions(model=model, n_process=n_process, batch_size=batch_size)
        started, workers = time.perf_counter(), main_cpu(resource.RUSAGE_CHILDREN)
        report = run_suggestions(project, options, progress=progress)
        ended, cpu = time.perf_counter(), main_cpu()
    return (
        ended - loaded[0][0],
        ended - started,
        cpu - loaded[0][1],
        main_cpu(resource.RUSAGE_CHILDREN) - workers,  # the run waited for them to exit
        report.spans_added,
        report.relations_added,
    )


def load() -> str:
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--models", nargs="+", default=["fr_core_news_sm", "fr_core_news_md"])
    parser.add_argument("--n-process", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    texts = make_documents(args.docs)
    load_before = load()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models:
            for n_process in args.n_process:
                raw_seconds, raw_cpu, tokens = time_raw(model, texts, n_process, args.batch_size)
                ours = time_ours(model, texts, n_process, args.batch_size, Path(folder))
                rows.append((model, n_process, tokens, raw_seconds, raw_cpu, *ours))
    print(f"\n{args.docs} documents, batch size {args.batch_size}, {os.cpu_count()} CPUs")
    print(f"{load_before} before, {load()} after\n")
    header = (
        "model",
        "n_process",
        "tokens",
        "raw tok/s",
        "ours tok/s",
        "ours/raw",
        "raw speed-up",
        "ours speed-up",
        "ours total s",
        "total speed-up",
        "raw main CPU s",
        "ours main CPU s",
        "ours workers CPU s",
        "spans",
        "relations",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    first: dict[str, tuple[float, float, float]] = {}
    for row in rows:
        model, n_process, tokens, raw, raw_cpu, ours, total, ours_cpu, workers, *found = row
        base = first.setdefault(model, (raw, ours, total))  # the first n_process listed
        cells = (
            model,
            str(n_process),
            f"{tokens:,}",
            f"{tokens / raw:,.0f}",
            f"{tokens / ours:,.0f}",
            f"{raw / ours:.2f}",
            f"{base[0] / raw:.2f}x",
            f"{base[1] / ours:.2f}x",
            f"{total:.1f}",
            f"{base[2] / total:.2f}x",
            f"{raw_cpu:.1f}",
            f"{ours_cpu:.1f}",
            f"{workers:.1f}",
            *(f"{count:,}" for count in found),
        )
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
