"""``annotator sample``: picking what to annotate from a pool, reproducibly."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from suggest_helpers import add_texts
from typer.testing import CliRunner

from annotator.cli.app import app
from annotator.model import Relation, Span
from annotator.services.sampling import SampleOptions, sample_project_file, spread
from annotator.store import Project
from annotator.store.listing import DocumentFilter, filtered_ids
from annotator.store.pool import priorities

SPORT = "Le match de football au stade se joue dimanche avec le ballon et l'équipe."
MUSIC = "Le concert de piano à l'opéra avec l'orchestre et le violon ce soir."


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    path = tmp_path / "pool.annotator"
    with Project.create(path) as project:
        add_texts(project, [f"Document numéro {n} sur Paris et Lyon." for n in range(40)])
    return path


def _sample(path: Path, **options: object) -> list[int]:
    return sample_project_file(path, SampleOptions(**options)).chosen  # type: ignore[arg-type]


def test_the_same_seed_picks_the_same_documents(pool: Path) -> None:
    first = _sample(pool, n=10, seed=3)
    assert len(set(first)) == 10
    assert _sample(pool, n=10, seed=3) == first
    assert _sample(pool, n=10, seed=4) != first


def test_in_place_the_sample_ranks_first_in_the_document_list(pool: Path) -> None:
    chosen = _sample(pool, n=5, seed=1)
    with Project.open(pool) as project:
        assert priorities(project) == {doc_id: rank for rank, doc_id in enumerate(chosen, 1)}
        listed = filtered_ids(project, DocumentFilter(by_priority=True))
        assert listed[:5] == chosen
        assert listed[5:] == sorted(set(range(1, 41)) - set(chosen))
    again = _sample(pool, n=2, seed=9)
    with Project.open(pool) as project:
        assert set(priorities(project)) == set(again)  # the previous ranks are cleared


def test_into_a_new_project_with_the_suggestions(pool: Path, tmp_path: Path) -> None:
    with Project.open(pool) as project:
        head = Span(
            doc_id=7, start=23, end=28, label="LOC", origin="patterns:x", status="suggested"
        )
        child = Span(doc_id=7, start=32, end=36, label="LOC", status="accepted")
        project.add_spans([head, child])
        project.add_relations(
            [
                Relation(
                    doc_id=7, head=head.id, child=child.id, label="located_in", status="suggested"
                )
            ]
        )
        text = project.document(7).text
    into = tmp_path / "sample.annotator"
    chosen = _sample(pool, n=40, seed=0, into=into)
    with Project.open(into) as sample:
        assert sample.count_documents() == 40
        new_id = chosen.index(7) + 1  # copied in sample order
        copied = sample.document(new_id)
        assert copied.text == text and copied.tokens
        assert {(s.start, s.end, s.status) for s in sample.spans(new_id)} == {
            (23, 28, "suggested"),
            (32, 36, "accepted"),
        }
        assert [r.label for r in sample.relations(new_id)] == ["located_in"]
    with Project.open(pool) as project:
        assert priorities(project) == {}  # the pool is left as it was


def test_uncertain_puts_scores_nearest_one_half_first(pool: Path) -> None:
    with Project.open(pool) as project:
        for doc_id, score in ((3, 0.99), (5, 0.52), (8, 0.1), (9, 0.7)):
            project.add_spans(
                [Span(doc_id=doc_id, start=0, end=8, label="MISC", status="suggested", score=score)]
            )
    report = sample_project_file(pool, SampleOptions(n=4, strategy="uncertain"))
    assert report.chosen == [5, 9, 8, 3]
    assert "scores" in report.notes[0]


def test_uncertain_counts_every_doubtful_suggestion_and_names_the_scores_it_used(
    pool: Path,
) -> None:
    """Three suggestions at 0.7 (0.6 of doubt each) outweigh a single one at 0.5."""
    model = "model:fr_core_news_md@3.8.0"
    with Project.open(pool) as project:
        for doc_id, scores in ((2, (0.5,)), (4, (0.7, 0.7, 0.3)), (6, (0.99, 0.98))):
            project.add_spans(
                [
                    Span(
                        doc_id=doc_id,
                        start=2 * n,
                        end=2 * n + 1,
                        label="MISC",
                        status="suggested",
                        score=score,
                        origin=model,
                    )
                    for n, score in enumerate(scores)
                ]
            )
    report = sample_project_file(pool, SampleOptions(n=3, strategy="uncertain"))
    assert report.chosen == [4, 2, 6]
    assert f"the scores of 6 pending suggestions ({model} 6)" in report.notes[0]


def test_uncertain_without_scores_looks_at_disagreement(pool: Path) -> None:
    with Project.open(pool) as project:
        project.add_spans(
            [
                Span(
                    doc_id=12, start=23, end=28, label="LOC", origin="model:m@1", status="suggested"
                ),
                Span(
                    doc_id=12,
                    start=23,
                    end=36,
                    label="ORG",
                    origin="patterns:p",
                    status="suggested",
                ),
                Span(
                    doc_id=13, start=23, end=28, label="LOC", origin="model:m@1", status="suggested"
                ),
            ]
        )
    report = sample_project_file(pool, SampleOptions(n=3, strategy="uncertain", seed=2))
    assert report.chosen[0] == 12
    assert "disagreement" in report.notes[0]


def test_rare_labels_favours_labels_with_few_accepted_examples(pool: Path) -> None:
    with Project.open(pool) as project:
        project.add_spans(
            [Span(doc_id=d, start=23, end=28, label="LOC", status="accepted") for d in (1, 2, 3)]
            + [
                Span(doc_id=20, start=23, end=28, label="LOC", status="suggested"),
                Span(doc_id=30, start=23, end=28, label="ORG", status="suggested"),
            ]
        )
    assert _sample(pool, n=2, strategy="rare-labels")[:2] == [30, 20]


def test_diverse_spreads_over_the_topics(tmp_path: Path) -> None:
    path = tmp_path / "topics.annotator"
    with Project.create(path) as project:
        add_texts(
            project, [f"{SPORT} ({n})" for n in range(10)] + [f"{MUSIC} ({n})" for n in range(10)]
        )
    picked = _sample(path, n=2, strategy="diverse", seed=5, model="blank")
    assert sorted(doc_id > 10 for doc_id in picked) == [False, True]
    assert _sample(path, n=2, strategy="diverse", seed=5, model="blank") == picked


def test_spread_keeps_one_row_per_cluster() -> None:
    import numpy as np

    points = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1], [9, 0]], dtype=np.float32)
    assert sorted(spread(points, 3, seed=0)) in ([0, 2, 4], [1, 2, 4], [0, 3, 4], [1, 3, 4])


def test_cli_sample_and_its_errors(pool: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["sample", str(pool), "--n", "3", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "3 of 40 documents by random (seed 7)" in result.output
    result = runner.invoke(app, ["sample", str(pool), "--strategy", "smart"])
    assert result.exit_code == 1
    assert "--strategy takes random, uncertain, diverse, rare-labels" in result.output
    result = runner.invoke(app, ["sample", str(pool), "--into", str(pool)])
    assert result.exit_code == 1
    assert "must be a new file" in result.output


def test_the_cli_offers_every_strategy() -> None:
    from annotator.cli import sample_command
    from annotator.services.sampling import STRATEGIES

    assert " | ".join(STRATEGIES) in inspect.getsource(sample_command)


# -- uncertain reads the pool a document at a time ------------------------------------------------


def _in_memory_uncertain(path: Path, seed: int) -> list[int]:
    """The ``uncertain`` ranking as it was before it was streamed: every pending suggestion read
    into memory, then aggregated in Python. The reference the streamed one must equal."""
    import random

    from annotator.services.sampling import _disagreements, _ranked_by
    from annotator.store.pool import pool_ids

    with Project.open(path, read_only=True) as project:
        pool = pool_ids(project)
        rows = list(
            project.db.execute(
                "SELECT doc_id, origin, start, end, label, score FROM spans "
                "WHERE status = 'suggested'"
            )
        )
    rng = random.Random(seed)
    scores: dict[int, list[float]] = {}
    keys: dict[int, dict[str, set[tuple[int, int, str]]]] = {}
    for doc_id, origin, start, end, label, score in rows:
        if score is not None:
            scores.setdefault(doc_id, []).append(score)
        keys.setdefault(doc_id, {}).setdefault(origin, set()).add((start, end, label))
    if scores:
        closeness = {d: sum(1.0 - abs(2.0 * s - 1.0) for s in v) for d, v in scores.items()}
        return _ranked_by(pool, closeness, rng)
    return _ranked_by(pool, {d: float(_disagreements(k)) for d, k in keys.items()}, rng)


def _random_suggestions(path: Path, per_document: int, scored: bool, seed: int = 0) -> None:
    """Overlapping pending suggestions of three origins on every document (several the same
    offsets, some decided), with scores when ``scored``."""
    import random

    rng = random.Random(seed)
    with Project.open(path) as project:
        spans = []
        for doc_id in project.document_ids():
            for _ in range(rng.randrange(per_document + 1)):
                start = rng.randrange(0, 30)
                spans.append(
                    Span(
                        doc_id=doc_id,
                        start=start,
                        end=start + rng.randrange(1, 8),
                        label=rng.choice(["PER", "LOC", "ORG"]),
                        origin=rng.choice(["model:m@1", "patterns:p", "rule:r"]),
                        status=rng.choice(["suggested"] * 4 + ["accepted", "rejected"]),
                        score=round(rng.random(), 2) if scored and rng.random() < 0.5 else None,
                    )
                )
        project.add_spans(spans)


@pytest.mark.parametrize("scored", [True, False])
def test_uncertain_streamed_ranks_as_the_in_memory_ranking(pool: Path, scored: bool) -> None:
    _random_suggestions(pool, per_document=12, scored=scored)
    expected = _in_memory_uncertain(pool, seed=4)
    report = sample_project_file(pool, SampleOptions(n=40, strategy="uncertain", seed=4))
    assert report.chosen == expected
    assert ("scores" if scored else "disagreement") in report.notes[0]


def _peak_bytes_of_uncertain(path: Path) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        sample_project_file(path, SampleOptions(n=5, strategy="uncertain", seed=1))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_uncertain_memory_does_not_grow_with_the_suggestions(tmp_path: Path) -> None:
    """Twenty times the suggestions on the same pool: the peak stays about the same (reading
    them all into memory made it grow with them)."""
    few, many = tmp_path / "few.annotator", tmp_path / "many.annotator"
    texts = [f"Document numéro {n} sur Paris, Lyon et Marseille." for n in range(200)]
    for path, per_document in ((few, 5), (many, 100)):
        with Project.create(path) as project:
            add_texts(project, texts)
        _random_suggestions(path, per_document, scored=False)
    _peak_bytes_of_uncertain(few)  # imports and caches, out of the measure
    assert _peak_bytes_of_uncertain(many) < 1.5 * _peak_bytes_of_uncertain(few)


def test_neighbours_in_sample_first_order(pool: Path) -> None:
    from annotator.store.pool import neighbour_by_priority, set_priorities

    with Project.open(pool) as project:
        set_priorities(project, [30, 7, 12])
        order = filtered_ids(project, DocumentFilter(by_priority=True))
        assert order[:4] == [30, 7, 12, 1]

        def walk(forward: bool) -> list[int]:
            walked, doc_id = [], None
            while (doc_id := neighbour_by_priority(project, doc_id, forward)) is not None:
                walked.append(doc_id)
            return walked

        assert walk(forward=True) == order  # the document list's order, one step at a time
        assert walk(forward=False) == order[::-1]
        project.set_document_status(7, "done")
        assert neighbour_by_priority(project, 30, unfinished_only=True) == 12
        assert neighbour_by_priority(project, 40, unfinished_only=True) == 30  # wraps around
        assert neighbour_by_priority(project, 12, forward=False, unfinished_only=True) == 30


def test_a_step_in_sample_first_order_reads_a_few_rows_not_the_pool(tmp_path: Path) -> None:
    """Done-and-next on a big pool must not sort every unfinished document (SQLite picked the
    status index for that, then sorted): count SQLite's virtual machine steps."""
    from annotator.model import Document
    from annotator.store.pool import neighbour_by_priority, set_priorities

    path = tmp_path / "big.annotator"
    with Project.create(path) as project:
        with project.transaction():
            project.add_documents_bulk([Document(text=f"document {n}") for n in range(5000)])
        set_priorities(project, [4000, 17, 2500])
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        project.db.conn.set_progress_handler(count, 10)
        assert neighbour_by_priority(project, 17, unfinished_only=True) == 2500
        assert neighbour_by_priority(project, 2500, unfinished_only=True) == 1
        assert neighbour_by_priority(project, 1, forward=False, unfinished_only=True) == 2500
        project.db.conn.set_progress_handler(None, 10)
    assert steps * 10 < 2000  # a scan of the 5,000 documents takes well over 50,000
