"""``annotator suggest --scores beam``: the model's entities get their probability under a beam
search of its NER, the spans stay the greedy parse's, and every engine stores the same."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from suggest_helpers import add_texts
from typer.testing import CliRunner

from annotator.cli.app import app
from annotator.services.suggesting import SuggestOptions, run_suggestions
from annotator.store import Project
from annotator.suggest.beam_scores import add_beam_scores, entity_score, pieces
from annotator.suggest.long_texts import pipe_long_texts
from annotator.suggest.results import is_model_origin

MODEL = "fr_core_news_sm"
TEXTS = [
    "Emmanuel Macron a reçu Angela Merkel à Paris. La Commission européenne s'en félicite.",
    "Brad Smith, président de Microsoft, répond au Wall Street Journal depuis Seattle.",
    "Le maire de Lyon, Grégory Doucet, a rencontré des élus de la région Rhône-Alpes.",
    "Un texte sans nom propre, ni lieu ni personne.",
    "",
]


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return spacy.load(MODEL)


def _options(**more: object) -> SuggestOptions:
    given: dict[str, object] = {"model": MODEL, "default_rules": False, "propagate": False}
    return SuggestOptions(**{**given, "batch_size": 2, **more})  # type: ignore[arg-type]


def _model_spans(project: Project) -> list[tuple[int, int, int, str, float | None]]:
    return sorted(
        (doc_id, s.start, s.end, s.label, s.score)
        for doc_id in project.document_ids()
        for s in project.spans(doc_id)
        if is_model_origin(s.origin)
    )


def _project(path: Path, copies: int = 1) -> Project:
    project = Project.create(path)
    add_texts(project, [f"{text} ({n})" for n in range(copies) for text in TEXTS])
    return project


def test_beam_scores_the_greedy_entities_without_changing_them(tmp_path: Path) -> None:
    with (
        _project(tmp_path / "plain.annotator") as plain,
        _project(tmp_path / "scored.annotator") as scored,
    ):
        run_suggestions(plain, _options())
        report = run_suggestions(scored, _options(scores="beam"))
        without, beam = _model_spans(plain), _model_spans(scored)
        assert [span[:4] for span in beam] == [span[:4] for span in without]
        assert beam and all(span[4] is None for span in without)
        assert all(0.0 <= span[4] <= 1.0 for span in beam)  # type: ignore[operator]
        assert any(0.0 < span[4] < 1.0 for span in beam)  # type: ignore[operator]
        assert any("beam search" in note for note in report.notes)


def test_workers_store_the_same_scores_as_one_process(tmp_path: Path) -> None:
    with (
        _project(tmp_path / "one.annotator", 2) as one,
        _project(tmp_path / "two.annotator", 2) as two,
    ):
        run_suggestions(one, _options(scores="beam"))
        run_suggestions(two, _options(scores="beam", n_process=2))
        assert _model_spans(two) == _model_spans(one)
        assert all(span[4] is not None for span in _model_spans(one))


def test_a_scored_run_after_a_plain_one_scores_the_pending_suggestions(tmp_path: Path) -> None:
    with _project(tmp_path / "p.annotator") as project:
        run_suggestions(project, _options())
        again = run_suggestions(project, _options(scores="beam"))
        assert again.spans_added == 0
        assert all(span[4] is not None for span in _model_spans(project))


def test_scores_survive_a_text_cut_in_pieces(nlp: spacy.language.Language) -> None:
    text = " ".join(TEXTS[:3])
    add_beam_scores(nlp)
    whole = nlp(text)
    nlp.max_length = len(text) // 2
    try:
        [(joined, _)] = list(pipe_long_texts(nlp, [(text, 0)]))
    finally:
        nlp.max_length = 1_000_000
    assert [e.text for e in joined.ents] == [e.text for e in whole.ents]
    assert all(entity_score(ent) is not None for ent in joined.ents)
    assert [entity_score(e) for e in joined.ents] == [entity_score(e) for e in whole.ents]


def test_the_beam_runs_on_sentences_or_on_runs_of_tokens(nlp: spacy.language.Language) -> None:
    doc = nlp(TEXTS[0])
    assert pieces(doc) == [(s.start, s.end) for s in doc.sents]
    assert len(pieces(doc)) == 2
    bare = nlp.make_doc("mot " * 100)
    assert pieces(bare) == [(0, 40), (40, 80), (80, 100)]


def test_a_pipeline_without_ner_says_it_has_nothing_to_score(tmp_path: Path) -> None:
    with _project(tmp_path / "p.annotator") as project:
        report = run_suggestions(project, _options(model="blank", scores="beam"))
        assert any("no transition-based NER to score" in note for note in report.notes)
        assert not _model_spans(project)


def test_an_unknown_scores_value_is_one_line(tmp_path: Path) -> None:
    _project(tmp_path / "p.annotator").close()
    result = CliRunner().invoke(app, ["suggest", str(tmp_path / "p.annotator"), "--scores", "x"])
    assert result.exit_code != 0
    assert "--scores takes none or beam, not 'x'" in result.output
    assert "Traceback" not in result.output
