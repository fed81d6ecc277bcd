"""spaCy takes our DocBin export as it is: ``debug data`` finds no error and ``train`` runs."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from annotator.model import Document, Relation, Span
from annotator.services.exporting import export_project
from annotator.store import Project

pytestmark = pytest.mark.slow

FIRST = ("Brad", "Marie", "Jean", "Sophie", "Paul", "Claire")
LAST = ("Smith", "Curie", "Dupont", "Martin", "Bernard", "Petit")
COMPANIES = ("Microsoft", "Renault", "Airbus", "Danone", "Orange")
CITIES = ("Paris", "Lyon", "Redmond", "Toulouse", "Nantes")
SPACY = (sys.executable, "-m", "spacy")
INIT_OPTIONS = ("--lang", "fr", "--pipeline", "ner", "--force")
SHORT_TRAINING = ("--training.max_steps", "20", "--training.eval_frequency", "10")


def _corpus(project: Project, size: int) -> None:
    """``size`` finished documents: people working for companies in cities, some with none."""
    tokenizer = spacy.blank("fr").tokenizer
    people = itertools.cycle(itertools.product(FIRST, LAST))
    for number in range(size):
        first, last = next(people)
        company, city = COMPANIES[number % 5], CITIES[(number // 5) % 5]
        if number % 7 == 0:
            text = f"Il ne s'est rien passé le jour {number}."
        else:
            text = f"{first} {last} travaille pour {company} à {city} depuis {number} ans."
        doc = tokenizer(text)
        tokens = tuple((t.idx, t.idx + len(t)) for t in doc)
        doc_id, _ = project.add_document(Document(text=text, tokens=tokens, status="done"))
        if number % 7 == 0:
            continue
        person_end = len(first) + 1 + len(last)
        company_start = text.index(company)
        city_start = text.index(city, company_start)
        person = Span(doc_id=doc_id, start=0, end=person_end, label="PER")
        org = Span(
            doc_id=doc_id, start=company_start, end=company_start + len(company), label="ORG"
        )
        place = Span(doc_id=doc_id, start=city_start, end=city_start + len(city), label="LOC")
        project.add_spans([person, org, place])
        project.add_relations(
            [Relation(doc_id=doc_id, head=person.id, child=org.id, label="works_for")]
        )


@pytest.fixture
def exported(project: Project, tmp_path: Path) -> tuple[Path, Path]:
    """Export folder and a generated ``spacy init config --pipeline ner`` config."""
    _corpus(project, 150)
    export_project(project, "spacy", tmp_path / "corpus", split=(0.8, 0.2), seed=1)
    config = tmp_path / "config.cfg"
    subprocess.run(
        [*SPACY, "init", "config", str(config), *INIT_OPTIONS],
        check=True,
        capture_output=True,
    )
    return tmp_path / "corpus", config


def _paths(corpus: Path) -> list[str]:
    return ["--paths.train", str(corpus / "train.spacy"), "--paths.dev", str(corpus / "dev.spacy")]


def test_debug_data_reports_no_error(exported: tuple[Path, Path]) -> None:
    corpus, config = exported
    result = subprocess.run(
        [*SPACY, "debug", "data", str(config), *_paths(corpus)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Corpus is loadable" in result.stdout
    assert "error" not in result.stdout.split("Summary")[-1], result.stdout


def test_spacy_train_runs_on_the_export(exported: tuple[Path, Path], tmp_path: Path) -> None:
    corpus, config = exported
    model = tmp_path / "model"
    result = subprocess.run(
        [*SPACY, "train", str(config), "--output", str(model), *_paths(corpus), *SHORT_TRAINING],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    nlp = spacy.load(model / "model-last")
    assert set(nlp.get_pipe("ner").labels) == {"PER", "ORG", "LOC"}
