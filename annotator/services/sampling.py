"""Choosing what to annotate from a large pool: ``annotator sample``.

A strategy ranks the pool (documents not done or skipped) and the first ``n`` are kept, either
copied with their suggestions into a new project (``into``), or ranked in place: the document
list then sorts by that priority. The same seed on the same project gives the same sample.

- random: a seeded shuffle;
- uncertain: the documents whose scored suggestions are, summed, nearest 0.5 first (scores:
  ``suggest --scores beam``, propagation); without scores, documents where
  suggesters of different origins propose overlapping but different spans; the report says
  which signal was used (and when there was none: then the order is random);
- diverse: k-means over document vectors (``annotator.suggest.vectors``), one document per
  cluster, the one nearest its centre; over a seeded subset of at most ``DIVERSE_CANDIDATES``;
- rare-labels: documents whose suggestions hold the labels with the fewest accepted examples.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from annotator.errors import AnnotatorError
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.store.pool import (
    accepted_label_counts,
    pool_ids,
    scored_suggestion_counts,
    set_priorities,
    suggested_keys_by_document,
    suggested_labels,
    suggestion_closeness,
    suggestion_origins,
)
from annotator.store.search import document_text
from annotator.wording import counted

STRATEGIES = ("random", "uncertain", "diverse", "rare-labels")
DIVERSE_CANDIDATES = 50_000
KMEANS_ROUNDS = 20
_COPY_CHUNK = 500


@dataclass(frozen=True)
class SampleOptions:
    n: int = 500
    strategy: str = "random"
    seed: int = 0
    into: Path | None = None
    model: str | None = None  # for diverse; None: the project's


@dataclass
class SampleReport:
    strategy: str
    pool: int
    chosen: list[int]
    into: Path | None = None
    notes: list[str] = field(default_factory=list)


def sample_project_file(path: str | Path, options: SampleOptions) -> SampleReport:
    """Rank the pool of ``path`` and keep the first ``options.n``, as ``options.into`` says."""
    if options.strategy not in STRATEGIES:
        raise AnnotatorError(f"--strategy takes {', '.join(STRATEGIES)}, not {options.strategy!r}")
    if options.n < 1:
        raise AnnotatorError("--n must be at least 1")
    if options.into is not None and Path(options.into).resolve() == Path(path).resolve():
        raise AnnotatorError(f"{options.into}: --into must be a new file, not the project")
    with Project.open(path, read_only=options.into is not None) as project:
        pool = pool_ids(project)
        report = SampleReport(strategy=options.strategy, pool=len(pool), chosen=[])
        rng = random.Random(options.seed)
        ranked = _RANKERS[options.strategy](project, pool, rng, options, report.notes)
        report.chosen = ranked[: options.n]
        if options.into is None:
            set_priorities(project, report.chosen)
        else:
            copy_documents(project, report.chosen, Path(options.into))
            report.into = Path(options.into)
    return report


# -- strategies: (project, pool, rng, options, notes) -> the pool, best first ----------------------


def _rank_random(
    project: Project, pool: list[int], rng: random.Random, options: SampleOptions, notes: list[str]
) -> list[int]:
    ranked = list(pool)
    rng.shuffle(ranked)
    return ranked


def _ranked_by(pool: list[int], score: dict[int, float], rng: random.Random) -> list[int]:
    """Highest score first; ties (and documents without a score) in a seeded random order."""
    ties = {doc_id: rng.random() for doc_id in pool}
    return sorted(pool, key=lambda doc_id: (-score.get(doc_id, -1.0), ties[doc_id]))


def _rank_uncertain(
    project: Project, pool: list[int], rng: random.Random, options: SampleOptions, notes: list[str]
) -> list[int]:
    closeness = suggestion_closeness(project)
    if closeness:
        counts = scored_suggestion_counts(project)
        origins = ", ".join(f"{origin} {count:,}" for origin, count in counts.items())
        notes.append(
            f"uncertain: by the scores of {sum(counts.values()):,} pending suggestions "
            f"({origins}), nearest 0.5 first"
        )
        return _ranked_by(pool, closeness, rng)
    if len(suggestion_origins(project, at_most=2)) < 2:
        notes.append(
            "uncertain: no scores and fewer than two suggesters, so nothing to measure; "
            "random order (suggest with --scores beam for the model's scores, or with a model "
            "and pattern files to compare them)"
        )
        return _rank_random(project, pool, rng, options, notes)
    notes.append("uncertain: by disagreement between suggesters (no scores in the project)")
    disagreements = {
        doc_id: float(_disagreements(keys)) for doc_id, keys in suggested_keys_by_document(project)
    }
    return _ranked_by(pool, disagreements, rng)


def _disagreements(by_origin: dict[str, set[tuple[int, int, str]]]) -> int:
    """Suggestions overlapping one of another origin: the suggesters differ on bounds or label
    (the same offsets and label from two origins is stored once, so never counted here)."""
    found = [(start, end, origin) for origin, keys in by_origin.items() for start, end, _ in keys]
    return sum(
        any(o != origin and s < end and start < e for s, e, o in found)
        for start, end, origin in found
    )


def _rank_rare_labels(
    project: Project, pool: list[int], rng: random.Random, options: SampleOptions, notes: list[str]
) -> list[int]:
    accepted = accepted_label_counts(project)
    rarity = {
        doc_id: max(1.0 / (1 + accepted[label]) for label in labels)
        + sum(count / (1 + accepted[label]) for label, count in labels.items()) / 1000.0
        for doc_id, labels in suggested_labels(project).items()
    }
    if not rarity:
        notes.append("rare-labels: no pending suggestions; random order (run suggest first)")
    return _ranked_by(pool, rarity, rng)


def _rank_diverse(
    project: Project, pool: list[int], rng: random.Random, options: SampleOptions, notes: list[str]
) -> list[int]:
    from annotator.suggest.pipelines import load_pipeline
    from annotator.suggest.vectors import document_vectors, uses_word_vectors

    candidates = sorted(rng.sample(pool, min(len(pool), DIVERSE_CANDIDATES)))
    if len(candidates) < len(pool):
        notes.append(f"diverse: over a seeded subset of {len(candidates):,} documents")
    settings = project.settings
    pipeline = load_pipeline(options.model or settings.default_model, settings.lang)
    kind = "word vectors" if uses_word_vectors(pipeline) else "hashed bags of words"
    notes.append(f"diverse: k-means over {kind} of {pipeline.name}")
    vectors = document_vectors(
        pipeline, (document_text(project, doc_id) for doc_id in candidates), len(candidates)
    )
    picked = [candidates[row] for row in spread(vectors, options.n, options.seed)]
    rest = [doc_id for doc_id in _rank_random(project, pool, rng, options, notes)]
    chosen = set(picked)
    return picked + [doc_id for doc_id in rest if doc_id not in chosen]


def spread(vectors: np.ndarray, k: int, seed: int) -> list[int]:
    """Rows of ``vectors`` spread over the space: k-means (k-means++ start, seeded), then the
    row nearest each centre; the biggest clusters first."""
    count = vectors.shape[0]
    if k >= count:
        return list(range(count))
    rng = np.random.default_rng(seed)
    centres = _kmeans_plus_plus(vectors, k, rng)
    squared = (vectors * vectors).sum(axis=1)
    for _ in range(KMEANS_ROUNDS):
        nearest = _distances(vectors, squared, centres).argmin(axis=1)
        moved = centres.copy()
        for cluster in range(k):
            members = vectors[nearest == cluster]
            if len(members):
                moved[cluster] = members.mean(axis=0)
        if np.allclose(moved, centres):
            break
        centres = moved
    distances = _distances(vectors, squared, centres)
    nearest = distances.argmin(axis=1)
    sizes = np.bincount(nearest, minlength=k)
    picked: list[int] = []
    for cluster in sorted(range(k), key=lambda c: (-sizes[c], c)):
        if sizes[cluster]:
            members = np.flatnonzero(nearest == cluster)
            picked.append(int(members[distances[members, cluster].argmin()]))
    return picked


def _distances(vectors: np.ndarray, squared: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of every row to every centre."""
    return squared[:, None] - 2.0 * vectors @ centres.T + (centres * centres).sum(axis=1)[None, :]


def _kmeans_plus_plus(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    count = vectors.shape[0]
    chosen = [int(rng.integers(count))]
    nearest = ((vectors - vectors[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = nearest.sum()
        row = int(rng.choice(count, p=nearest / total)) if total > 0 else int(rng.integers(count))
        chosen.append(row)
        nearest = np.minimum(nearest, ((vectors - vectors[row]) ** 2).sum(axis=1))
    return vectors[chosen].copy()


_RANKERS: dict[
    str, Callable[[Project, list[int], random.Random, SampleOptions, list[str]], list[int]]
] = {
    "random": _rank_random,
    "uncertain": _rank_uncertain,
    "diverse": _rank_diverse,
    "rare-labels": _rank_rare_labels,
}


# -- a new project with the sample ----------------------------------------------------------------


def copy_documents(source: Project, doc_ids: Sequence[int], target_path: Path) -> None:
    """A new project at ``target_path`` with ``source``'s settings and schema and the documents
    ``doc_ids`` in that order (ids 1, 2, ...), with their tokens, meta, status, spans and
    relations of every status. Removed again when anything fails."""
    ensure_tokens(source, doc_ids)  # copied with the documents
    target = Project.create(target_path, settings=source.settings, schema=source.schema)
    try:
        with target.transaction():
            for start in range(0, len(doc_ids), _COPY_CHUNK):
                chunk = doc_ids[start : start + _COPY_CHUNK]
                documents = [source.document(doc_id) for doc_id in chunk]
                created = target.add_documents_bulk(documents)
                new_id = {old: new for old, (new, _) in zip(chunk, created, strict=True)}
                spans = [
                    span.model_copy(update={"doc_id": new_id[old]})
                    for old in chunk
                    for span in source.spans(old)
                ]
                relations = [
                    relation.model_copy(update={"doc_id": new_id[old]})
                    for old in chunk
                    for relation in source.relations(old)
                ]
                if spans:
                    target.add_spans_bulk(spans)
                if relations:
                    target.add_relations_bulk(relations)
            target.log_event(
                "sample", f"{counted(len(doc_ids), 'document')} sampled from {source.path.name}"
            )
    except BaseException:
        target.close()
        target_path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target_path}{suffix}").unlink(missing_ok=True)
        raise
    target.close()
