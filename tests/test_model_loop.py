"""The training loop end to end: gold imported as done documents, ``annotator train`` on a small
base pipeline, ``suggest --model project``, ``evaluate``. Held-out F1 goes up, and a token never
carries two pending model suggestions."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, interruptible
from typer.testing import CliRunner

from annotator import edits
from annotator.cli import app
from annotator.services.evaluating import evaluate_project, learning_curve
from annotator.services.model_versions import model_records
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.services.tokenizing import ensure_tokens
from annotator.services.training import TrainOptions
from annotator.store import Project
from annotator.suggest.evaluation import score_keys
from annotator.suggest.results import is_model_origin

pytestmark = pytest.mark.slow
runner = CliRunner()
BASE = "fr_core_news_sm"

FIRST = ("Yannig", "Gwenola", "Per-Jakez", "Soazig", "Erwan", "Maïwenn", "Tugdual", "Nolwenn")
LAST = ("Kerhervé", "Le Bihan", "Penvern", "Guéguen", "Tanguy", "Morvan", "Quéré", "Le Goff")
PAPERS = ("Ouest-Éclair", "Courrier du Finistère", "Phare de Bretagne", "Union agricole")
PLACES = ("Plougastel", "Landerneau", "Douarnenez", "Pont-l'Abbé", "Locronan", "Quimperlé")
TEMPLATES = (
    "{per} écrit dans le {org} que la foire de {loc} est remise.",
    "Le {org} annonce que {per} quitte {loc} pour la capitale.",
    "À {loc}, {per} a présidé le banquet offert par le {org}.",
    "On lit dans le {org} : « {per}, maire de {loc}, est malade. »",
)


def gold_task(rng: random.Random) -> dict[str, object]:
    """One Prodigy task of three sentences with PER, ORG and LOC spans, answered accept."""
    text, spans = "", []
    for _ in range(3):
        template = rng.choice(TEMPLATES)
        values = {
            "per": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "org": rng.choice(PAPERS),
            "loc": rng.choice(PLACES),
        }
        sentence = template
        for key in ("per", "org", "loc"):
            sentence = sentence.replace("{" + key + "}", "\0" + key + "\0", 1)
        for piece in sentence.split("\0"):
            if piece in values:
                spans.append(
                    {
                        "start": len(text),
                        "end": len(text) + len(values[piece]),
                        "label": piece.upper(),
                    }
                )
                text += values[piece]
            else:
                text += piece
        text += " "
    return {"text": text.strip(), "spans": spans, "answer": "accept"}


def held_out_f1(project: Project, gold: dict[int, set[tuple[int, int, str]]]) -> float:
    proposed = {
        (doc_id, s.start, s.end, s.label)
        for doc_id in gold
        for s in project.spans(doc_id, status="suggested")
        if is_model_origin(s.origin)
    }
    truth = {(doc_id, *key) for doc_id, keys in gold.items() for key in keys}
    return score_keys(proposed, truth).total.fscore


def model_suggestions_per_token(project: Project, doc_id: int) -> int:
    pending = [s for s in project.spans(doc_id, status="suggested") if is_model_origin(s.origin)]
    return max(
        (
            sum(1 for s in pending if s.start < end and start < s.end)
            for start, end in project.tokens(doc_id)
        ),
        default=0,
    )


def test_training_on_corrections_raises_held_out_f1(tmp_path: Path) -> None:
    rng = random.Random(7)
    tasks = [gold_task(rng) for _ in range(36)]
    training, held_out = tasks[:28], tasks[28:]
    gold_file = tmp_path / "gold.jsonl"
    gold_file.write_text("\n".join(json.dumps(t, ensure_ascii=False) for t in training) + "\n")
    texts_file = tmp_path / "held_out.jsonl"
    texts_file.write_text(
        "\n".join(json.dumps({"text": t["text"]}, ensure_ascii=False) for t in held_out) + "\n"
    )
    path = tmp_path / "loop.annotator"
    for source in (gold_file, texts_file):
        result = runner.invoke(app, ["import", str(path), str(source)])
        assert result.exit_code == 0, result.output

    with Project.open(path) as project:
        assert project.count_documents("done") == len(training)
        held_ids = project.document_ids("new")
        texts = {project.document(d, tokens=False).text: d for d in held_ids}
        gold = {
            texts[str(t["text"])]: {(s["start"], s["end"], s["label"]) for s in t["spans"]}  # type: ignore[union-attr]
            for t in held_out
        }
        run_suggestions(project, SuggestOptions(model=BASE, propagate=False))
        base_f1 = held_out_f1(project, gold)

    result = runner.invoke(
        app, ["train", str(path), "--base", BASE, "--max-steps", "40", "--dev", "0.25"]
    )
    assert result.exit_code == 0, result.output
    assert "model version 1" in result.output

    with Project.open(path) as project:
        [record] = model_records(project)
        assert Path(record.path) == tmp_path / "loop.models" / "1"
        assert record.base == BASE and record.steps == 40
        assert len(record.train_documents) + len(record.dev_documents) == len(training)
        assert set(record.per_label) <= {"PER", "ORG", "LOC"}  # not the base model's MISC
        run_suggestions(project, SuggestOptions(model="project", propagate=False))
        trained_f1 = held_out_f1(project, gold)
        assert trained_f1 > base_f1 + 0.1, (base_f1, trained_f1)
        origins = {
            s.origin for d in held_ids for s in project.spans(d) if is_model_origin(s.origin)
        }
        assert origins == {"model:fr_project@1"}
        ensure_tokens(project, held_ids)  # the import left them for later
        assert all(model_suggestions_per_token(project, d) <= 1 for d in held_ids)

        # a person corrects one held-out document: evaluate measures the project model there
        doc_id = held_ids[0]
        for span in project.spans(doc_id, status="suggested"):
            right = (span.start, span.end, span.label) in gold[doc_id]
            project.apply(edits.accept_span(span) if right else edits.reject_span(span))
        project.apply(edits.set_document_status(doc_id, project.document_status(doc_id), "done"))
        evaluation = evaluate_project(project)
        # run over the done documents, the version is not scored on those it was trained on
        # (it scored 97 % there, against 73 % on its dev part)
        run = evaluate_project(project, model="project").model
    assert run is not None
    assert run["documents"] == len(record.dev_documents) + 1  # its dev part, the held-out one
    assert run["left_out"] == len(record.train_documents) + len(record.partial_documents)
    [figures] = [s for s in evaluation.suggesters if s.origin == "model:fr_project@1"]
    assert figures.kind == "model" and figures.documents == 1
    assert figures.spans is not None
    right = sum(1 for s in project_spans(path, doc_id) if s == "accepted")
    assert figures.spans["tp"] == right
    assert figures.spans["fn"] == 0  # nothing added by hand: every accepted span was proposed


def project_spans(path: Path, doc_id: int) -> list[str]:
    with Project.open(path, read_only=True) as project:
        return [s.status for s in project.spans(doc_id) if is_model_origin(s.origin)]


def gold_project(folder: Path, name: str, documents: int, seed: int) -> Path:
    """A project of ``documents`` gold tasks imported as done documents."""
    rng = random.Random(seed)
    gold_file = folder / f"{name}.jsonl"
    gold_file.write_text(
        "\n".join(json.dumps(gold_task(rng), ensure_ascii=False) for _ in range(documents)) + "\n"
    )
    path = folder / f"{name}.annotator"
    assert runner.invoke(app, ["import", str(path), str(gold_file)]).exit_code == 0
    return path


def test_the_curve_trains_on_growing_shares_and_keeps_no_version(tmp_path: Path) -> None:
    path = gold_project(tmp_path, "curve", 12, seed=3)
    with Project.open(path, read_only=True) as project:
        rows = learning_curve(
            project, TrainOptions(base=BASE, max_steps=10, dev=0.25), fractions=(0.5, 1.0)
        )
        assert model_records(project) == []
    assert [(row["fraction"], row["documents"]) for row in rows] == [(0.0, 0), (0.5, 4), (1.0, 9)]
    assert all(0.0 <= row["f"] <= 1.0 for row in rows)
    assert not (tmp_path / "curve.models").exists()


def test_spancat_is_trained_beside_the_ner_when_asked(tmp_path: Path) -> None:
    path = gold_project(tmp_path, "spans", 6, seed=5)
    result = runner.invoke(
        app,
        ["train", str(path), "--base", BASE, "--components", "ner,spancat", "--max-steps", "5"],
    )
    assert result.exit_code == 0, result.output
    with Project.open(path, read_only=True) as project:
        [record] = model_records(project)
    assert record.components == ("ner", "spancat")
    assert "spans_sc_f" in record.scores and "ents_f" in record.scores
    config = (Path(record.path) / "config.cfg").read_text(encoding="utf-8")
    assert "[components.spancat]" in config


def test_base_project_fine_tunes_the_best_version_again(tmp_path: Path) -> None:
    path = gold_project(tmp_path, "again", 6, seed=9)
    first = ["train", str(path), "--base", BASE, "--max-steps", "5"]
    assert runner.invoke(app, first).exit_code == 0
    again = runner.invoke(app, ["train", str(path), "--base", "project", "--max-steps", "5"])
    assert again.exit_code == 0, again.output
    with Project.open(path, read_only=True) as project:
        one, two = model_records(project)
    assert two.version == 2 and two.base == one.path
    # version 2's dev documents are version 1's (the same seed and documents): neither was
    # trained on them, and both are scored there
    assert two.compared_with == 1 and two.compared_documents == two.dev_documents
    assert two.compared_f1 is not None and two.compared_own_f1 is not None
    said = " ".join(again.stdout.split())
    assert (
        f"neither was trained on, it scores {two.compared_own_f1:.1%} F1 and version 1 "
        f"{two.compared_f1:.1%}: --model project"
    ) in said
    folder = path.with_suffix(".models")
    assert sorted(p.name for p in folder.iterdir()) == ["1", "2"]  # no staging left


def test_a_best_version_that_no_longer_loads_is_not_compared_and_training_is_kept(
    tmp_path: Path,
) -> None:
    """A best version's config.cfg edited by hand (a section twice) made every later training
    end in a configparser traceback after all its steps, keeping nothing (a new-user run)."""
    path = gold_project(tmp_path, "broken", 6, seed=9)
    assert (
        runner.invoke(app, ["train", str(path), "--base", BASE, "--max-steps", "3"]).exit_code == 0
    )
    config = path.with_suffix(".models") / "1" / "config.cfg"
    config.write_text('[nlp]\nlang = "fr"\n[nlp]\nx = 1\n', encoding="utf-8")
    again = runner.invoke(app, ["train", str(path), "--base", BASE, "--max-steps", "3"])
    assert again.exit_code == 0, again.output
    with Project.open(path, read_only=True) as project:
        _one, two = model_records(project)
    assert two.compared_with == 1 and two.compared_f1 is None
    assert (
        "version 1 was not compared on the same documents (its folder is missing or does not "
        "load, or those documents hold no entity): by dev F1 as measured, --model project is "
        "version"
    ) in " ".join(again.stdout.split())


def test_cancel_while_the_best_version_is_scored_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scoring the best version comes after the last step; a Cancel then left the staging
    folder (the new model, its DocBins) behind, though nothing was kept."""
    from annotator.services import training
    from annotator.suggest import training as suggest_training

    path = gold_project(tmp_path, "cancel", 6, seed=9)
    assert (
        runner.invoke(app, ["train", str(path), "--base", BASE, "--max-steps", "3"]).exit_code == 0
    )
    asked = []
    scores = suggest_training.schema_scores

    def scored(model_path: Path, *args: object) -> dict:
        asked.append(model_path)  # the user presses Cancel as the best version is scored
        return scores(model_path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(suggest_training, "schema_scores", scored)
    with Project.open(path) as project:
        plan = training.plan_training(project, TrainOptions(base=BASE, max_steps=3))
        training.write_training_data(project, plan)
    with pytest.raises(training.Cancelled):
        training.train_model(plan, cancel=lambda: bool(asked))
    assert asked and not plan.staging.exists()


def test_ctrl_c_during_training_keeps_no_version_and_says_so(tmp_path: Path) -> None:
    """It said "interrupted; everything committed before stays in the project", which did not
    say whether a version was kept."""
    path = gold_project(tmp_path, "stop", 12, seed=4)
    command = [sys.executable, "-m", "annotator", "train", str(path), "--base", BASE]
    run = interruptible(
        [*command, "--max-steps", "100000"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        deadline = time.monotonic() + 240
        while not list(tmp_path.glob("stop.models/.training-*/train")):  # training started
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.2)
        time.sleep(1)
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    assert stderr.strip() == f"error: training interrupted; {path} keeps no new version"
    with Project.open(path, read_only=True) as project:
        assert model_records(project) == []
    assert not list(tmp_path.glob("stop.models/*"))  # its staging folder is gone too
