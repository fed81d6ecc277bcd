"""Suggesting: run the suggesters over a project's documents and store what they propose.

Two halves, so that the GUI can run the slow one in a worker thread and apply the results on
the UI thread:

1. compute, without the store: ``plan_suggestions`` (reads settings, schema, accepted strings
   and the documents to do) -> ``build_suggester`` (loads the model: slow) ->
   ``compute_suggestions`` over ``read_inputs`` (yields batches of ``DocumentSuggestions``);
2. ``store_suggestions(project, batch)``: one transaction per batch.

``run_suggestions`` does both for the CLI. The rules of the game, kept by ``store_suggestions``:
accepted, rejected, edited and human annotations are never touched; a rejected (offsets,
label) is never proposed again; a suggestion identical to an existing span is not added; a
suggestion on exactly the tokens of a span a person decided (accepted, or rejected by a
person) with another label is not stored (a person's decision wins; counted as superseded);
the run's stale, untouched suggestions are replaced; two runs in a row leave the same state.

No spaCy here: ``annotator.suggest`` is imported when a run starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.edits import SUPERSEDED_PREFIX, UpdateSpan, is_decided, remove_span, supersede
from annotator.errors import AnnotatorError, NotFoundError, TokensMissingError
from annotator.model import LabelSchema, Relation, Span
from annotator.model.learned import LearnedPattern, RelationExample
from annotator.model.validation import SortedBoundaries
from annotator.services.model_versions import resolve_model
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project
from annotator.store.learned import learned_patterns, relation_examples, save_learned_patterns
from annotator.store.listing import UNFINISHED_STATUSES
from annotator.store.search import (
    AROUND,
    decided_span_text_counts,
    decided_span_texts,
    document_ids_containing,
    document_ids_with_pending,
    document_text,
    read_snapshot,
    text_around_accepted_spans,
    word_counts,
    words_in,
)
from annotator.store.stats import DECIDED_MATCHES
from annotator.suggest.occurrences import (
    PROPAGATION,
    AcceptedStrings,
    LabelContexts,
    common_word_forms,
    find_occurrences,
    free_places,
    part_of_a_longer_name,
)
from annotator.suggest.results import (
    MODEL_PREFIX,
    DocumentInput,
    DocumentSuggestions,
    Tally,
    is_model_origin,
    span_key,
)
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.suggest.local_pool import LocalPool
    from annotator.suggest.patterns import PatternFile
    from annotator.suggest.ray_engine import RayEngine
    from annotator.suggest.relations import RelationRule
    from annotator.suggest.suggester import Suggester

Progress = Callable[[int, int], None]
"""Called with (documents done, documents selected) after each committed batch."""
Cancel = Callable[[], bool]
"""Returns True once the user asked to stop (``threading.Event().is_set`` fits)."""


@dataclass(frozen=True)
class SuggestOptions:
    """What ``annotator suggest`` takes; ``None`` means "from the project settings"."""

    model: str | None = None
    patterns: tuple[Path, ...] | None = None
    rules: tuple[Path, ...] | None = None
    default_rules: bool = True
    propagate: bool = True
    n_process: int = 1
    batch_size: int = 64
    docs: str | tuple[int, ...] = "all"
    engine: str = "local"  # or "ray": see ``annotator.suggest.ray_engine``
    address: str | None = None  # ray: a cluster to join; None starts a local Ray
    num_cpus: int | None = None  # ray: workers (and CPUs of a local Ray)
    scores: str = "none"  # or "beam": see ``annotator.suggest.beam_scores``


SCORES = ("none", "beam")
"""What ``--scores`` takes; ``beam``: see ``annotator.suggest.beam_scores``."""


@dataclass
class SuggestPlan:
    """Everything a run needs from the project, captured up front (on the GUI's UI thread)."""

    lang: str
    model: str
    label_map: dict[str, str]
    schema: LabelSchema
    pattern_files: tuple[Path, ...]
    rule_files: tuple[Path | Traversable, ...]
    accepted: AcceptedStrings | None
    doc_ids: list[int]
    n_process: int = 1
    batch_size: int = 64
    learned: tuple[LearnedPattern, ...] = ()
    """The project's learned relation patterns, with the decisions on their suggestions."""
    examples: tuple[RelationExample, ...] = ()
    """The accepted relations new patterns are learned from (when the pipeline parses)."""
    scores: str = "none"
    """``beam``: the model's entity suggestions get a probability (``beam_scores``)."""


@dataclass
class StoreResult:
    """What one ``store_suggestions`` call changed."""

    documents: int = 0
    spans_added: int = 0
    spans_removed: int = 0
    relations_added: int = 0
    relations_removed: int = 0
    changed_meanwhile: int = 0
    tally: Tally = field(default_factory=Tally)
    # suggestions that fell on a span a person (or an import) decided, kept in the run's log
    # event for the suggesters' figures: doc_id -> [[start, end, label, origin], ...]
    decided_matches: dict[int, list[list[int | str]]] = field(default_factory=dict)

    @property
    def spans_kept(self) -> int:
        """Suggestions proposed again that were pending already: kept, not added."""
        return sum(counts.spans for counts in self.tally.by_origin.values()) - self.spans_added

    @property
    def relations_kept(self) -> int:
        return (
            sum(counts.relations for counts in self.tally.by_origin.values()) - self.relations_added
        )

    def add(self, other: StoreResult) -> None:
        self.documents += other.documents
        self.changed_meanwhile += other.changed_meanwhile
        self.spans_added += other.spans_added
        self.spans_removed += other.spans_removed
        self.relations_added += other.relations_added
        self.relations_removed += other.relations_removed
        self.tally.add(other.tally)
        for doc_id, matches in other.decided_matches.items():
            self.decided_matches.setdefault(doc_id, []).extend(matches)

    @property
    def spans_superseded(self) -> int:
        """Suggestions not stored: a person decided their exact tokens with another label."""
        return sum(counts.superseded for counts in self.tally.by_origin.values())


@dataclass
class SuggestReport(StoreResult):
    """The outcome of a whole run, for the CLI report and the GUI status line."""

    model: str = ""
    selected: int = 0
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0
    loading_seconds: float = 0.0  # of ``seconds``: the pipeline and the rules loaded
    empty_project: bool = False  # nothing selected because the project holds no document
    characters: int = 0
    learned: str = ""
    """How many learned relation patterns ran, were new, were dropped (empty: none ran)."""


# -- half 1: compute, no store ----------------------------------------------------------------


def select_documents(project: Project, docs: str | Sequence[int] = "all") -> list[int]:
    """``all``: every document not done or skipped; ``new``: not suggested yet; or given ids."""
    if docs == "all":
        return project.document_ids(UNFINISHED_STATUSES)
    if docs == "new":
        return project.document_ids("new")
    if isinstance(docs, str):
        raise AnnotatorError(f"--docs takes all, new or document ids, not {docs!r}")
    ids = list(dict.fromkeys(docs))
    for doc_id in ids:
        project.document_status(doc_id)  # NotFoundError names the missing id
    return ids


_WORD = re.compile(r"\w+")


def accepted_strings(project: Project) -> AcceptedStrings:
    memory = AcceptedStrings()
    for text, label, status, count in decided_span_texts(project):
        memory.add(text, label, status, count)
    return _with_corpus_evidence(project, memory)


def _with_corpus_evidence(project: Project, memory: AcceptedStrings) -> AcceptedStrings:
    """Add what the accepted strings need beyond the decisions: the word counts of
    ``AcceptedStrings.is_common_word`` and the places left unmarked in done documents."""
    accepted = [
        text
        for text, labels in memory.counts.items()
        if any(accepted for accepted, _ in labels.values())
    ]
    words = {form for text in accepted for form in common_word_forms(text) or ()}
    memory.word_counts = word_counts(project, words)
    for left, opening, label in text_around_accepted_spans(project) if accepted else ():
        memory.contexts.add(left, opening, label)
    memory.unmarked = unmarked_in_done_documents(project, accepted, memory.contexts)
    return memory


def unmarked_in_done_documents(
    project: Project, needles: Collection[str], contexts: LabelContexts | None = None
) -> dict[str, int]:
    """For each of ``needles``: its occurrences in done documents where propagation would have
    proposed it (on token boundaries, not part of a longer name nor of a name people mark
    longer there (``contexts``), not inside an accepted span) and that no decided span covers
    exactly: the person who finished the document left it unmarked. One pass over the done
    documents, whatever the number of needles."""
    counts = dict.fromkeys(needles, 0)
    by_word: dict[str, list[str]] = {}  # by the needle's first word: a quick first test
    wordless: list[str] = []
    for needle in counts:
        first = _WORD.search(needle)
        if first is None:
            wordless.append(needle)
        else:
            by_word.setdefault(first.group(), []).append(needle)
    if len(counts) == 1:
        ids = document_ids_containing(project, next(iter(counts)), ("done",))
    else:
        ids = project.document_ids(("done",)) if counts else []
    for doc_id in ids:
        text = document_text(project, doc_id)
        words = by_word.keys() & set(words_in(text))
        present = [n for n in [*wordless, *(n for w in words for n in by_word[w])] if n in text]
        if not present:
            continue
        boundaries = SortedBoundaries(project.tokens(doc_id))  # a few checks: nothing built
        decided = project.spans(doc_id, ("accepted", "rejected"))
        exact = {(s.start, s.end) for s in decided}
        accepted = [s for s in decided if s.status == "accepted"]
        for needle in present:
            for start, end in find_occurrences(text, needle, boundaries):
                if (
                    (start, end) in exact
                    or part_of_a_longer_name(text, start, end)
                    or (contexts is not None and contexts.inside_a_longer_name(text, start))
                ):
                    continue
                if not any(s.start < end and start < s.end for s in accepted):
                    counts[needle] += 1
    return counts


def plan_suggestions(
    project: Project, options: SuggestOptions | None = None, read_evidence: bool = True
) -> SuggestPlan:
    """What a run needs from the project. ``read_evidence=False`` leaves propagation's evidence
    (``accepted``: decisions, corpus word counts, unmarked places; a scan of the texts) empty,
    for the window, which reads it in its worker with ``with_evidence``."""
    options = options or SuggestOptions()
    settings = project.settings
    if options.n_process < 1 or options.batch_size < 1:
        raise AnnotatorError("--n-process and --batch-size must be at least 1")
    if options.scores not in SCORES:
        raise AnnotatorError(f"--scores takes {' or '.join(SCORES)}, not {options.scores!r}")
    patterns = options.patterns if options.patterns is not None else settings.patterns
    rules: list[Path | Traversable] = []
    if options.default_rules:
        from annotator.suggest.shipped import default_rules_file

        shipped = default_rules_file(settings.lang)
        if shipped is not None:
            rules.append(shipped)
    rules += [Path(p) for p in (options.rules if options.rules is not None else settings.rules)]
    doc_ids = select_documents(project, options.docs)
    read_evidence = read_evidence and bool(doc_ids)  # a scan of the texts, for nothing
    return SuggestPlan(
        lang=settings.lang,
        model=resolve_model(project, options.model or settings.default_model),
        label_map=dict(settings.label_map),
        schema=project.schema,
        pattern_files=tuple(Path(p) for p in patterns),
        rule_files=tuple(rules),
        accepted=(
            (accepted_strings(project) if read_evidence else AcceptedStrings())
            if options.propagate
            else None
        ),
        doc_ids=doc_ids,
        n_process=options.n_process,
        batch_size=options.batch_size,
        learned=tuple(learned_patterns(project)),
        examples=tuple(relation_examples(project)),
        scores=options.scores,
    )


def with_evidence(plan: SuggestPlan, project: Project) -> SuggestPlan:
    """``plan`` with propagation's evidence read from ``project`` (a worker's connection)."""
    if plan.accepted is None:
        return plan
    return dataclasses.replace(plan, accepted=accepted_strings(project))


def read_suggester_files(plan: SuggestPlan) -> tuple[list[PatternFile], list[RelationRule]]:
    """The plan's pattern files and relation rules, checked: errors before any model loads."""
    from annotator.suggest.patterns import read_pattern_file
    from annotator.suggest.relations import read_rule_file

    pattern_files = [read_pattern_file(path) for path in plan.pattern_files]
    rules = [rule for path in plan.rule_files for rule in read_rule_file(path)]
    ids = [rule.id for rule in rules]
    twice = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if twice:
        raise AnnotatorError(f"rule id defined in two rule files: {', '.join(twice)}")
    origins = [pattern_file.origin for pattern_file in pattern_files]
    if len(set(origins)) != len(origins):
        raise AnnotatorError("two pattern files have the same name; rename one of them")
    return pattern_files, rules


def build_suggester(
    plan: SuggestPlan, files: tuple[list[PatternFile], list[RelationRule]] | None = None
) -> Suggester:
    """Read the pattern and rule files (errors first), then load the pipeline (slow) and learn
    relation patterns from the accepted relations, if it has a parser (``suggester.learning``;
    its ``new`` patterns are for ``store_learned_patterns``). ``files``: those files already
    read (``read_suggester_files``), on another machine: a Ray cluster's nodes need not
    have them."""
    from annotator.suggest.learning import Learning
    from annotator.suggest.pipelines import load_pipeline
    from annotator.suggest.suggester import Suggester

    pattern_files, rules = files if files is not None else read_suggester_files(plan)
    pipeline = load_pipeline(plan.model, plan.lang)
    learning = (
        Learning.run(pipeline.nlp, plan.learned, plan.examples)
        if pipeline.assigns("token.dep")
        else None
    )
    return Suggester(
        pipeline=pipeline,
        schema=plan.schema,
        label_map=plan.label_map,
        pattern_files=pattern_files,
        rules=rules,
        accepted=plan.accepted,
        learning=learning,
        scores=plan.scores,
    )


def store_learned_patterns(project: Project, suggester: Suggester) -> int:
    """Keep the relation patterns the run learned (on the UI thread in the GUI); how many."""
    if suggester.learning is None:
        return 0
    return save_learned_patterns(project, suggester.learning.new)


def read_inputs(project: Project, doc_ids: Iterable[int]) -> Iterator[DocumentInput]:
    """Each document's text and current annotations, read lazily, one document at a time."""
    for doc_id in doc_ids:
        yield DocumentInput(
            doc_id=doc_id,
            text=document_text(project, doc_id),
            spans=tuple(project.spans(doc_id)),
            relations=tuple(project.relations(doc_id)),
            revision=project.revision(doc_id),
        )


def compute_suggestions(
    suggester: Suggester,
    inputs: Iterable[DocumentInput],
    batch_size: int = 64,
    cancel: Cancel | None = None,
) -> Iterator[list[DocumentSuggestions]]:
    """Batches of per-document suggestions, computed in this process (``run_suggestions``
    uses worker processes for ``n_process`` over 1). On cancel, the batch in hand is yielded,
    then stop."""
    stream = suggester.suggest(inputs, batch_size=batch_size)
    batch: list[DocumentSuggestions] = []
    try:
        for result in stream:
            batch.append(result)
            if cancel is not None and cancel():
                break
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        stream.close()


# -- half 2: store ----------------------------------------------------------------------------


def store_suggestions(
    project: Project, results: Sequence[DocumentSuggestions], skip_changed: bool = False
) -> StoreResult:
    """Write one batch of suggestions in one transaction, keeping the rules of the game.

    With ``skip_changed`` (the GUI), a document whose revision moved since its input was
    captured is left alone and counted in ``changed_meanwhile``; without it, the rules are
    applied against the document's current annotations, which is always safe.
    """
    outcome = StoreResult()
    spans: list[Span] = []
    relations: list[Relation] = []
    stored: list[int] = []
    with project.transaction():
        for result in results:
            if (
                skip_changed
                and result.revision is not None
                and project.revision(result.doc_id) != result.revision
            ):
                outcome.changed_meanwhile += 1
                continue
            _store_document(project, result, outcome, spans, relations)
            stored.append(result.doc_id)
        if spans:
            project.add_spans_bulk(spans)
        if relations:
            project.add_relations_bulk(relations)
        if not stored:
            return outcome
        project.log_event(
            "suggest",
            f"suggestions for {counted(len(stored), 'document')}",
            {
                "documents": stored,
                "spans_added": outcome.spans_added,
                "spans_removed": outcome.spans_removed,
                "relations_added": outcome.relations_added,
                "relations_removed": outcome.relations_removed,
                DECIDED_MATCHES: {d: m for d, m in outcome.decided_matches.items() if m},
                "suggesters": sorted(outcome.tally.by_origin),  # which model version, rules...
            },
            actor="suggest",
        )
    return outcome


def _on_stored_tokens(project: Project, result: DocumentSuggestions) -> list[Span]:
    """``result``'s suggestions less the propagated ones off the document's stored tokens.

    A run matches the accepted strings on its pipeline's tokens; a document imported with
    tokens of its own has other boundaries (a CoNLL file's ",César" is one token), where the
    window's search, on the stored tokens, proposes nothing: the run keeps to its places."""
    if not any(span.origin == PROPAGATION for span in result.spans):
        return list(result.spans)
    try:
        boundaries = SortedBoundaries(project.tokens(result.doc_id))
    except TokensMissingError:  # alignment unknown: nothing to keep to
        return list(result.spans)
    keep_all = boundaries.empty
    return [
        span
        for span in result.spans
        if keep_all or span.origin != PROPAGATION or boundaries.aligned(span.start, span.end)
    ]


def _store_document(
    project: Project,
    result: DocumentSuggestions,
    outcome: StoreResult,
    spans_to_add: list[Span],
    relations_to_add: list[Relation],
) -> None:
    """Remove the document's stale suggestions now; queue its new ones for the batch insert."""
    doc_id = result.doc_id
    tally = outcome.tally
    tally.add(result.tally)
    matches = outcome.decided_matches.setdefault(doc_id, [])  # dropped below when empty
    matches += [list(found) for found in result.on_rejected]
    current_spans = project.spans(doc_id)
    current_relations = project.relations(doc_id)
    pinned = {
        end for r in current_relations if r.status != "suggested" for end in (r.head, r.child)
    }
    rejected = {span_key(s) for s in current_spans if s.status == "rejected"}
    decided = {(s.start, s.end) for s in current_spans if is_decided(s)}
    by_key: dict[tuple[int, int, str], Span] = {}
    for span in current_spans:
        if span.status != "rejected" and (
            span.status == "accepted" or span_key(span) not in by_key
        ):
            by_key[span_key(span)] = span
    accepted_keys = {span_key(s) for s in current_spans if s.status == "accepted"}

    def overruled(span: Span) -> bool:
        """On the tokens of a person's decision, with another label."""
        return (span.start, span.end) in decided and span_key(span) not in accepted_keys

    suggestions = _on_stored_tokens(project, result)
    proposed = {span_key(s) for s in suggestions if not overruled(s)}
    stale = {
        s.id: s
        for s in current_spans
        if s.status == "suggested"
        and not s.edited
        and s.origin in result.owned
        and s.id not in pinned
        and span_key(s) not in proposed
    }

    corrected: dict[str, list[tuple[int, int]]] = {}
    for span in current_spans:
        if span.edited:
            corrected.setdefault(_suggester(span.origin), []).append((span.start, span.end))
    # "the model" is one suggester: a model suggestion that stays pending (pinned by a relation,
    # or edited) keeps any other model suggestion off its tokens
    model_kept = [
        (s.start, s.end)
        for s in current_spans
        if s.status == "suggested" and is_model_origin(s.origin) and s.id not in stale
    ]

    final_id: dict[str, str] = {}
    new_spans: list[Span] = []
    for span in suggestions:
        key = span_key(span)
        if key in rejected:
            tally[span.origin].skipped_rejected += 1
            matches.append([*key, span.origin])
            continue
        if overruled(span):
            tally[span.origin].superseded += 1
            continue
        existing = by_key.get(key)
        if existing is not None:
            final_id[span.id] = existing.id
            if existing.status == "accepted":
                tally[span.origin].already_accepted += 1
                matches.append([*key, span.origin])
            else:
                tally[span.origin].spans += 1
                _take_over(project, existing, span)
            continue
        if _overlaps(span, corrected.get(_suggester(span.origin), ())):
            # a person relabelled or resized this suggester's proposal here: not again
            tally[span.origin].already_accepted += 1
            continue
        if is_model_origin(span.origin) and _overlaps(span, model_kept):
            continue
        by_key[key] = span
        final_id[span.id] = span.id
        new_spans.append(span)
        tally[span.origin].spans += 1

    alive = {s.id for s in current_spans if s.status != "rejected" and s.id not in stale}
    current_by_key = {(r.head, r.child, r.label): r for r in current_relations}
    wanted: set[tuple[str, str, str]] = set()
    new_relations: list[Relation] = []
    for relation in result.relations:
        head = final_id.get(relation.head, relation.head if relation.head in alive else None)
        child = final_id.get(relation.child, relation.child if relation.child in alive else None)
        if head is None or child is None or head == child:
            continue
        key = (head, child, relation.label)
        if key in wanted:
            continue
        wanted.add(key)
        existing_relation = current_by_key.get(key)
        if existing_relation is None:
            new_relations.append(relation.model_copy(update={"head": head, "child": child}))
            tally[relation.origin].relations += 1
        elif existing_relation.status == "rejected":
            tally[relation.origin].skipped_rejected += 1
        elif existing_relation.status == "accepted":
            tally[relation.origin].already_accepted += 1
        else:
            tally[relation.origin].relations += 1

    stale_relations = [
        r
        for r in current_relations
        if r.status == "suggested"
        and (
            r.head in stale
            or r.child in stale
            or (r.origin in result.owned and (r.head, r.child, r.label) not in wanted)
        )
    ]
    for relation in stale_relations:
        project.delete_relation(relation)
    for span in stale.values():
        project.delete_span(span)
    spans_to_add += new_spans
    relations_to_add += new_relations
    if project.document_status(doc_id) == "new":
        project.set_document_status(doc_id, "suggested")
    outcome.documents += 1
    outcome.spans_added += len(new_spans)
    outcome.spans_removed += len(stale)
    outcome.relations_added += len(new_relations)
    outcome.relations_removed += len(stale_relations)


def _suggester(origin: str) -> str:
    """Every model origin is one suggester, "the model"; any other origin is its own."""
    return MODEL_PREFIX if is_model_origin(origin) else origin


def _overlaps(span: Span, ranges: Iterable[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in ranges)


def _take_over(project: Project, existing: Span, proposed: Span) -> None:
    """A pending model suggestion proposed again by another model version becomes the new
    version's, so that what each version proposed is measured under its own origin; proposed
    again with another score (a run with ``--scores beam`` after one without), it takes the
    new score."""
    if (
        existing.status == "suggested"
        and not existing.edited
        and (existing.origin != proposed.origin or existing.score != proposed.score)
        and is_model_origin(existing.origin)
        and is_model_origin(proposed.origin)
    ):
        project.replace_span(
            existing,
            existing.model_copy(update={"origin": proposed.origin, "score": proposed.score}),
        )


# -- both, for the CLI --------------------------------------------------------------------------


def run_suggestions(
    project: Project,
    options: SuggestOptions | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SuggestReport:
    """Plan, load, compute and store, committing batch by batch.

    With ``n_process`` over 1 the model loads in worker processes only, each computing whole
    batches (``annotator.suggest.local_pool``); this process reads and stores. When
    ``cancel()`` turns true the batch in hand is stored (with workers: batches not back yet
    are dropped) and the run stops; everything committed stays. ``progress(done, total)`` is
    called after each committed batch.
    """
    started = time.perf_counter()
    options = options or SuggestOptions()
    if options.engine not in ("local", "ray"):
        raise AnnotatorError(f"--engine takes local or ray, not {options.engine!r}")
    if options.engine == "ray":
        from annotator.suggest.ray_engine import import_ray

        import_ray()  # says how to install it before the model loads
    plan = plan_suggestions(project, options)
    if not plan.doc_ids:  # nothing to do: no model to load, no Ray to start
        return SuggestReport(
            model=plan.model,
            seconds=time.perf_counter() - started,
            empty_project=project.count_documents() == 0,
        )
    if options.engine == "ray":
        from annotator.suggest.ray_engine import check_address

        check_address(options.address)  # before the model loads: the cluster must answer
    engine: LocalPool | RayEngine | None = _start_local_pool(plan, options)
    suggester: Suggester | None = None
    try:
        if options.engine == "ray":
            from annotator.suggest.ray_engine import RayEngine

            factory = functools.partial(build_suggester, plan, read_suggester_files(plan))
            engine = RayEngine(factory, options.address, options.num_cpus)
        if engine is not None:
            summary = engine.summary()  # from the workers: this process loads no model
        else:
            suggester = build_suggester(plan)
            summary = suggester.summary()
        if summary.learned:
            save_learned_patterns(project, summary.learned)
        report = SuggestReport(
            model=summary.name,
            selected=len(plan.doc_ids),
            learned=summary.learning,
            loading_seconds=time.perf_counter() - started,
        )
        if progress is not None:
            progress(0, report.selected)

        def counted(inputs: Iterator[DocumentInput]) -> Iterator[DocumentInput]:
            for document in inputs:
                report.characters += len(document.text)
                yield document

        inputs = counted(read_inputs(project, plan.doc_ids))
        if engine is not None:
            batches = engine.suggest(inputs, batch_size=plan.batch_size, cancel=cancel)
        elif suggester is not None:
            batches = compute_suggestions(
                suggester, inputs, batch_size=plan.batch_size, cancel=cancel
            )
        for batch in batches:
            report.add(store_suggestions(project, batch))
            if progress is not None:
                progress(report.documents, report.selected)
    finally:
        if engine is not None:
            engine.close()
    report.cancelled = report.documents < report.selected and cancel is not None and cancel()
    report.notes = list(suggester.notes if suggester is not None else summary.notes)
    if engine is not None:
        report.notes += [note for note in engine.notes if note not in report.notes]
    report.seconds = time.perf_counter() - started
    return report


def _start_local_pool(plan: SuggestPlan, options: SuggestOptions) -> LocalPool | None:
    """Worker processes for ``n_process`` over 1 (locally, with documents to do), started
    once the pattern and rule files are known to be right; ``None``: this process computes."""
    if options.engine != "local" or plan.n_process < 2 or not plan.doc_ids:
        return None
    from annotator.suggest.local_pool import LocalPool

    read_suggester_files(plan)
    return LocalPool(functools.partial(build_suggester, plan), plan.n_process)


# -- propagation right after an acceptance, for the GUI -----------------------------------------


@dataclass(frozen=True)
class PropagatedDocument:
    """One document's propagated suggestions and the revision they were computed against;
    ``withdrawn``: its pending propagated suggestions whose string no longer propagates."""

    doc_id: int
    revision: int
    spans: tuple[Span, ...]
    withdrawn: tuple[Span, ...] = ()


@dataclass
class PropagationResult:
    """What ``store_propagation`` did: suggestions added, and documents left alone because
    they changed after their suggestions were computed."""

    added: int = 0
    changed: list[int] = field(default_factory=list)
    superseded: int = 0
    withdrawn: int = 0
    # documents where suggestions were rejected or withdrawn too, not only added: a copy needs
    # reading again
    superseded_in: set[int] = field(default_factory=set)

    @property
    def changed_meanwhile(self) -> int:
        return len(self.changed)


def decided_strings(project: Project, text: str) -> AcceptedStrings:
    """The decisions on ``text`` over the whole project: one entry of ``accepted_strings``."""
    memory = AcceptedStrings()
    for label, status, count in decided_span_text_counts(project, text):
        memory.add(text, label, status, count)
    return _with_corpus_evidence(project, memory)


def propagation_score(project: Project, text: str, label: str) -> float:
    """The score a suggest run gives (text, label): ``AcceptedStrings.score`` over the project."""
    return decided_strings(project, text).score(text, label)


def compute_propagation(
    project: Project, span: Span, doc_ids: Collection[int] | None = None
) -> list[PropagatedDocument]:
    """Half 1, read-only (the GUI passes a worker connection): where ``span``'s string would be
    suggested with its label in open documents (only those of ``doc_ids`` when given), and
    which pending propagated suggestions of that string to withdraw.

    Plain string search on token boundaries (the documents' stored tokens), no model. Nothing
    is proposed for a string that does not propagate (too short, a common word, or decided
    against with that label more often than for), nor once the span is no longer accepted in
    the store (undone before this ran). Places where that (offsets, label) exists already, in
    any status, places a person decided with another label (``is_decided``) and places that
    clash with a span there (``free_places``) are left out.

    A decision changes the string's evidence, so for an accepted or a rejected ``span`` the
    pending propagated suggestions of its string with a label that no longer propagates are
    withdrawn: proposed after a first acceptance, they would otherwise stay after people
    rejected the string more often than they accepted it.
    """
    if span.status not in ("accepted", "rejected"):
        return []
    with read_snapshot(project):
        try:
            stored = project.span(span.id)
            needle = document_text(project, span.doc_id)[span.start : span.end]
        except NotFoundError:
            return []
        if stored.status != span.status or span_key(stored) != span_key(span):
            return []
        memory = decided_strings(project, needle)
        proposing = span.status == "accepted" and memory.propagates(needle, span.label)
        labels = memory.counts.get(needle, {})
        stale = {label for label in labels if not memory.propagates(needle, label)}
        unfitting = (
            _unfitting(project, memory, doc_ids)
            if span.status == "accepted" and _moves_contexts(project, span, needle, memory)
            else []
        )
        if not proposing and not stale:
            return unfitting
        planned: list[PropagatedDocument] = []
        found_in = [
            doc_id
            for doc_id in document_ids_containing(project, needle, UNFINISHED_STATUSES)
            if doc_ids is None or doc_id in doc_ids
        ]
        ensure_tokens(project, found_in)  # occurrences snap to them
        for doc_id in found_in:
            revision = project.revision(doc_id)
            text = document_text(project, doc_id)
            spans = project.spans(doc_id)
            withdrawn = tuple(
                s
                for s in spans
                if s.status == "suggested"
                and s.origin == PROPAGATION
                and s.label in stale
                and text[s.start : s.end] == needle
            )
            kept = [s for s in spans if s not in withdrawn]
            found: tuple[Span, ...] = ()
            if proposing:
                candidates = _candidates(project, doc_id, needle, span.label, memory, kept)
                found = tuple(free_places(candidates, kept))
            if found or withdrawn:
                planned.append(PropagatedDocument(doc_id, revision, found, withdrawn))
    return _merged(planned, unfitting)


def _moves_contexts(project: Project, span: Span, needle: str, memory: AcceptedStrings) -> bool:
    """Whether the accepted ``span`` changed what a word before it or opening it says about
    the places after that word (``LabelContexts.changed_by``)."""
    left = document_text(project, span.doc_id)[max(0, span.start - AROUND) : span.start]
    return bool(memory.contexts.changed_by(left, needle[:AROUND], span.label))


def _unfitting(
    project: Project, memory: AcceptedStrings, doc_ids: Collection[int] | None
) -> list[PropagatedDocument]:
    """The pending propagated suggestions of open documents whose context no longer fits
    (``AcceptedStrings.fits``), to withdraw: proposed before a decision taught that people
    mark the longer name there ("rue du Morbihan") or another label after that word. A
    suggestion run leaves them out too."""
    unfitting = []
    for doc_id in document_ids_with_pending(project, PROPAGATION, UNFINISHED_STATUSES):
        if doc_ids is not None and doc_id not in doc_ids:
            continue
        text = document_text(project, doc_id)
        withdrawn = tuple(
            s
            for s in project.spans(doc_id, "suggested")
            if s.origin == PROPAGATION and not s.edited and not memory.fits(text, s.start, s.label)
        )
        if withdrawn:
            unfitting.append(PropagatedDocument(doc_id, project.revision(doc_id), (), withdrawn))
    return unfitting


def _merged(
    planned: list[PropagatedDocument], unfitting: list[PropagatedDocument]
) -> list[PropagatedDocument]:
    """``planned`` with the ``unfitting`` suggestions to withdraw, one entry per document."""
    by_doc = {document.doc_id: document for document in planned}
    for extra in unfitting:
        document = by_doc.get(extra.doc_id)
        if document is None:
            by_doc[extra.doc_id] = extra
            continue
        ids = {s.id for s in document.withdrawn}
        withdrawn = document.withdrawn + tuple(s for s in extra.withdrawn if s.id not in ids)
        by_doc[extra.doc_id] = dataclasses.replace(document, withdrawn=withdrawn)
    return sorted(by_doc.values(), key=lambda document: document.doc_id)


def _candidates(
    project: Project,
    doc_id: int,
    needle: str,
    label: str,
    memory: AcceptedStrings,
    spans: Sequence[Span],
) -> list[Span]:
    """``needle`` with ``label`` at each of its occurrences in the document that is free:
    not that (offsets, label) already, not decided by a person, not part of a longer name,
    not after a word that comes before other labels (``AcceptedStrings.fits``)."""
    text = document_text(project, doc_id)
    score = memory.score(needle, label)
    taken = {span_key(s) for s in spans}
    decided = {(s.start, s.end) for s in spans if is_decided(s)}
    return [
        Span(
            doc_id=doc_id,
            start=start,
            end=end,
            label=label,
            origin=PROPAGATION,
            status="suggested",
            score=score,
        )
        for start, end in find_occurrences(text, needle, SortedBoundaries(project.tokens(doc_id)))
        if (start, end, label) not in taken
        and (start, end) not in decided
        and not part_of_a_longer_name(text, start, end)
        and memory.fits(text, start, label)
    ]


def _cached_boundaries(project: Project, spans: Sequence[Span]) -> dict[int, SortedBoundaries]:
    """The token boundaries of the documents ``spans`` go to, from the store's token cache:
    on the UI thread that holds the open document's tokens already, where ``add_spans_bulk``
    alone would read and decode them again (a 100,000-token document: tens of ms)."""
    boundaries: dict[int, SortedBoundaries] = {}
    for doc_id in {span.doc_id for span in spans}:
        with contextlib.suppress(TokensMissingError):  # stored with alignment unknown
            boundaries[doc_id] = SortedBoundaries(project.tokens(doc_id))
    return boundaries


def store_propagation(project: Project, planned: Sequence[PropagatedDocument]) -> PropagationResult:
    """Half 2, on the GUI's UI thread: one transaction, one bulk insert. A document whose
    revision moved since ``compute_propagation`` read it is skipped (and counted): its
    suggestions may clash with what changed, e.g. a span the annotator just added.

    Propagated suggestions come from a person's decision, so they supersede the pending
    suggestions of other labels on exactly their tokens (rejected, with the reason); the
    withdrawn ones are deleted."""
    outcome = PropagationResult()
    if not planned:
        return outcome
    spans: list[Span] = []
    superseded: list[UpdateSpan] = []
    with project.transaction():
        for document in planned:
            try:
                current = project.revision(document.doc_id)
            except NotFoundError:
                current = None
            if current != document.revision:
                outcome.changed.append(document.doc_id)
                continue
            spans += document.spans
            outcome.withdrawn += _withdraw(project, document)
            rejected = _supersede_pending(project, document)
            if rejected or document.withdrawn:
                outcome.superseded_in.add(document.doc_id)
            superseded += rejected
        if spans:
            outcome.added, _ = project.add_spans_bulk(spans, _cached_boundaries(project, spans))
            outcome.superseded = len(superseded)
        if spans or outcome.withdrawn:
            project.log_event(
                "propagate",
                f"{counted(outcome.added, 'propagated suggestion')}, "
                f"{outcome.withdrawn:,} withdrawn",
                {
                    "documents": sorted({d.doc_id for d in planned} - set(outcome.changed)),
                    "spans_added": outcome.added,
                    "spans_superseded": [edit.after.id for edit in superseded],
                    "spans_withdrawn": outcome.withdrawn,
                },
                actor="suggest",
            )
    return outcome


def _supersede_pending(project: Project, document: PropagatedDocument) -> list[UpdateSpan]:
    """Reject the pending suggestions of other labels on the tokens of ``document``'s
    propagated spans (and the relations hanging on them); returns the span rejections."""
    if not document.spans:
        return []
    label = document.spans[0].label
    rejections = supersede(
        document.spans,
        project.spans(document.doc_id, "suggested"),
        project.relations(document.doc_id),
        reason=f"{SUPERSEDED_PREFIX}: {label} propagated from a person's decision",
    )
    for edit in rejections:
        edit.apply(project)
    return [edit for edit in rejections if isinstance(edit, UpdateSpan)]


def _withdraw(project: Project, document: PropagatedDocument) -> int:
    """Delete ``document.withdrawn`` (and the relations hanging on them): a pending suggestion
    is no decision, so it goes without a trace rather than as a rejection."""
    if not document.withdrawn:
        return 0
    relations = project.relations(document.doc_id)
    for span in document.withdrawn:
        remove_span(span, relations).apply(project)
    return len(document.withdrawn)


def propagate_from(project: Project, span: Span) -> int:
    """Both halves on one connection (tests, scripts): how many suggestions were added."""
    return store_propagation(project, compute_propagation(project, span)).added


def suggest_project_file(
    path: str | Path,
    options: SuggestOptions | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SuggestReport:
    """``run_suggestions`` on a project file, opened for writing and closed after."""
    with Project.open(path) as project:
        return run_suggestions(project, options, progress=progress, cancel=cancel)
