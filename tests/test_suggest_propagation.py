"""Propagation: an accepted string is suggested at its other occurrences, on token boundaries."""

from __future__ import annotations

import pytest
from suggest_helpers import add_texts, covered, described_spans

from annotator import edits
from annotator.model import Span, TokenBoundaries
from annotator.services.suggesting import (
    SuggestOptions,
    compute_propagation,
    propagate_from,
    run_suggestions,
    store_propagation,
)
from annotator.store import Project
from annotator.store.search import word_counts
from annotator.suggest.occurrences import (
    LabelContexts,
    find_occurrences,
    free_places,
    part_of_a_longer_name,
    word_before,
)

TEXTS = [
    "Le WSJ a rapporté que Microsoft hésite.",
    "Selon le WSJ, et encore le WSJ.",
    "Les WSJs et WSJ-like ne comptent pas, ni aWSJ.",
    "Rien ici.",
]


def _accept_wsj(project: Project, doc_id: int, label: str = "ORG") -> Span:
    start = TEXTS[0].index("WSJ")
    span = Span(doc_id=doc_id, start=start, end=start + 3, label=label)
    project.apply(edits.add_span(span))
    return span


def test_propagate_from_suggests_the_string_elsewhere(project: Project) -> None:
    first, second, third, fourth = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    assert propagate_from(project, span) == 3
    found = [(covered(project, s), s.label, s.origin, s.status) for s in project.spans(second)]
    assert found == [("WSJ", "ORG", "propagation", "suggested")] * 2
    # one acceptance, Laplace-smoothed: (1 + 1) / (1 + 0 + 2)
    assert {s.score for s in project.spans(second)} == {0.6667}
    # "WSJs" and "aWSJ" are not token boundaries; "WSJ-like" is split by the tokenizer
    assert [covered(project, s) for s in project.spans(third)] == ["WSJ"]
    assert project.spans(fourth) == []
    # the accepted span itself is not duplicated, and a second call adds nothing
    assert len(project.spans(first)) == 1
    assert propagate_from(project, span) == 0


def test_propagate_from_skips_rejected_places_finished_documents_and_pending_spans(
    project: Project,
) -> None:
    first, second, third, _, earlier = add_texts(project, [*TEXTS, "Le WSJ, puis le WSJ."])
    project.add_spans(  # accepted twice in a finished document
        [
            Span(doc_id=earlier, start=3, end=6, label="ORG", status="accepted"),
            Span(doc_id=earlier, start=16, end=19, label="ORG", status="accepted"),
        ]
    )
    project.set_document_status(earlier, "done")
    start = TEXTS[1].index("WSJ")
    rejected = Span(
        doc_id=second,
        start=start,
        end=start + 3,
        label="ORG",
        origin="model:m@1",
        status="suggested",
    )
    project.add_spans([rejected])
    project.apply(edits.reject_span(rejected))
    project.set_document_status(third, "done")
    span = _accept_wsj(project, first)
    assert propagate_from(project, span) == 1
    spans = project.spans(second)
    assert [(s.start, s.status) for s in spans] == [
        (start, "rejected"),
        (TEXTS[1].rindex("WSJ"), "suggested"),
    ]
    # three acceptances; against: one rejection, and "WSJ-like" left unmarked in the finished
    # third document: (3 + 1) / (3 + 2 + 2)
    assert spans[1].score == 0.5714
    assert project.spans(third) == []
    assert propagate_from(project, span.model_copy(update={"status": "suggested"})) == 0


def test_a_document_changed_between_compute_and_store_keeps_its_state(project: Project) -> None:
    first, second, third, _ = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    planned = compute_propagation(project, span)
    assert [d.doc_id for d in planned] == [second, third]
    assert project.spans(second) == []  # computing writes nothing
    # the annotator marks the same place in the second document meanwhile
    start = TEXTS[1].index("WSJ")
    project.apply(edits.add_span(Span(doc_id=second, start=start, end=start + 3, label="ORG")))
    result = store_propagation(project, planned)
    assert (result.added, result.changed_meanwhile) == (1, 1)
    assert [(s.start, s.status) for s in project.spans(second)] == [(start, "accepted")]
    assert described_spans(project, third) == {("WSJ", "ORG", "propagation", "suggested")}


def test_storing_reads_the_tokens_the_connection_holds_instead_of_decoding_them_again(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window stores a propagation on its UI thread, whose connection has the open
    document's tokens decoded already (a 100,000-token document: tens of ms to decode)."""
    from annotator.store import project as store_module

    first, second, third, _ = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    planned = compute_propagation(project, span)
    for doc_id in (second, third):
        project.tokens(doc_id)  # open in the view: decoded and cached
    decoded: list[str] = []
    decode = store_module.decode_offsets
    monkeypatch.setattr(
        store_module, "decode_offsets", lambda offsets: decoded.append(offsets) or decode(offsets)
    )
    result = store_propagation(project, planned)
    assert result.added == 3
    assert decoded == []
    flags = project.db.execute("SELECT aligned FROM spans WHERE origin = 'propagation'")
    assert [aligned for (aligned,) in flags] == [1, 1, 1]  # the flags are set all the same


def test_propagation_after_an_undone_acceptance_proposes_nothing(project: Project) -> None:
    first, _, _, _ = add_texts(project, TEXTS)
    span = _accept_wsj(project, first)
    project.apply(edits.remove_span(span, []))
    assert compute_propagation(project, span) == []


def test_an_acceptance_scores_its_propagation_as_a_suggest_run_does(project: Project) -> None:
    """Decisions in documents without an open occurrence count too (here: a finished one)."""
    first, second, third, _, finished = add_texts(project, [*TEXTS, "Le WSJ, puis le WSJ."])
    project.add_spans(
        [
            Span(doc_id=finished, start=3, end=6, label="ORG", status="accepted"),
            Span(doc_id=finished, start=16, end=19, label="ORG", status="rejected"),
        ]
    )
    project.set_document_status(finished, "done")
    span = _accept_wsj(project, first)
    planned = {s.doc_id: s.score for d in compute_propagation(project, span) for s in d.spans}
    run_suggestions(project, SuggestOptions(model="blank"))
    run = {s.doc_id: s.score for d in (second, third) for s in project.spans(d)}
    # two acceptances, one rejection: (2 + 1) / (3 + 2)
    assert planned == run == {second: 0.6, third: 0.6}


def test_a_run_propagates_accepted_strings_and_respects_rejections(project: Project) -> None:
    first, second, third, _, earlier = add_texts(project, [*TEXTS, "Le WSJ encore."])
    _accept_wsj(project, first)
    start = TEXTS[1].index("WSJ")
    project.add_spans(
        [
            Span(doc_id=second, start=start, end=start + 3, label="ORG", status="rejected"),
            Span(doc_id=earlier, start=3, end=6, label="ORG", status="accepted"),
        ]
    )
    project.set_document_status(earlier, "done")
    report = run_suggestions(project, SuggestOptions(model="blank"))
    assert ("WSJ", "ORG", "propagation", "suggested") in described_spans(project, second)
    assert [s.status for s in project.spans(second)] == ["rejected", "suggested"]
    assert described_spans(project, third) == {("WSJ", "ORG", "propagation", "suggested")}
    assert report.tally["propagation"].skipped_rejected == 1
    assert [s.status for s in project.spans(first)] == ["accepted"]  # not proposed over itself
    # propagation off: its stale suggestions stay untouched, nothing new is added
    again = run_suggestions(project, SuggestOptions(model="blank", propagate=False))
    assert again.spans_added == again.spans_removed == 0


def test_find_occurrences_without_tokens_keeps_to_word_boundaries() -> None:
    text = "IA, l'IA et IAs, MIA."
    assert list(find_occurrences(text, "IA")) == [(0, 2), (6, 8)]
    tokens = ((0, 2), (2, 3), (4, 6), (6, 8), (9, 11), (12, 15), (15, 16), (17, 20), (20, 21))
    assert list(find_occurrences(text, "IA", TokenBoundaries(tokens))) == [(0, 2), (6, 8)]
    assert list(find_occurrences(text, "")) == []


TRUMP_TEXTS = [
    "Donald Trump parle. Trump répond.",
    "Hier, Donald Trump a parlé à Trump Tower, puis Trump est parti.",
]


def _accept(project: Project, doc_id: int, needle: str, label: str, nth: int = 0) -> Span:
    text = project.document(doc_id).text
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    span = Span(doc_id=doc_id, start=start, end=start + len(needle), label=label)
    project.apply(edits.add_span(span))
    return span


def _there(doc_id: int, text: str, needle: str, label: str, status: str = "suggested") -> Span:
    start = text.index(needle)
    return Span(
        doc_id=doc_id,
        start=start,
        end=start + len(needle),
        label=label,
        origin="model:m@1",
        status=status,
    )


def _propagated(project: Project, doc_id: int) -> list[tuple[str, int, str]]:
    text = project.document(doc_id).text
    return [
        (text[s.start : s.end], s.start, s.label)
        for s in project.spans(doc_id)
        if s.origin == "propagation"
    ]


@pytest.mark.parametrize("status", ["suggested", "accepted", "rejected"])
def test_a_string_is_not_proposed_inside_a_longer_span_already_there(
    project: Project, status: str
) -> None:
    text = "Hier, le président Trump a parlé, puis Trump est parti, et Trump revint."
    first, second = add_texts(project, [TRUMP_TEXTS[0], text])
    trump = _accept(project, first, "Trump", "PER", nth=1)
    project.add_spans(
        [
            _there(second, text, "président Trump", "PER", status),
            _there(second, text, "Trump est", "MISC"),
        ]
    )
    propagate_from(project, trump)
    assert _propagated(project, second) == [("Trump", text.rindex("Trump"), "PER")]


def test_not_across_a_longer_span_nor_nested_in_or_crossing_one_of_the_same_label(
    project: Project,
) -> None:
    texts = [
        "Le Crédit Agricole prête.",
        "Le Crédit Agricole Alpes, le Crédit Agricole ici, le Crédit Agricole seul.",
    ]
    first, second = add_texts(project, texts)
    accepted = _accept(project, first, "Crédit Agricole", "ORG")
    text = texts[1]
    project.add_spans(
        [
            _there(second, text, "Agricole Alpes, le", "MISC"),  # longer, crossing the 1st
            _there(second, text, "Agricole ici", "ORG"),  # same label, crossing the 2nd
            _there(second, text, "Crédit Agricole seul", "ORG"),  # same label, around the 3rd
            _there(second, text, "Agricole seul", "LOC"),  # shorter, another label: no matter
        ]
    )
    propagate_from(project, accepted)
    assert _propagated(project, second) == []
    project.delete_span(project.spans(second)[2])  # "Crédit Agricole seul" ORG
    propagate_from(project, accepted)
    assert _propagated(project, second) == [("Crédit Agricole", text.rindex("Crédit"), "ORG")]


def test_short_strings_and_strings_rejected_more_than_accepted_do_not_propagate(
    project: Project,
) -> None:
    texts = ["L'IA de Meta.", "L'IA et Meta.", "Meta encore.", "Meta toujours.", "Puis Meta."]
    first, second, third, fourth, fifth, sixth = add_texts(project, [*texts, "Enfin Meta."])
    ia = _accept(project, first, "IA", "ORG")
    assert compute_propagation(project, ia) == []  # two letters
    meta = _accept(project, first, "Meta", "ORG")
    for doc_id in (third, fourth):
        project.add_spans(
            [_there(doc_id, project.document(doc_id).text, "Meta", "ORG", "rejected")]
        )
    assert compute_propagation(project, meta) == []  # rejected twice, accepted once
    report = run_suggestions(project, SuggestOptions(model="blank"))
    assert report.spans_added == 0
    project.apply(edits.add_span(_there(second, texts[1], "Meta", "ORG", "accepted")))
    run_suggestions(project, SuggestOptions(model="blank"))  # 2 accepted, 2 rejected: a tie,
    assert project.spans(fifth) == []  # right half the time, is not proposed either
    project.apply(edits.add_span(_there(sixth, "Enfin Meta.", "Meta", "ORG", "accepted")))
    run_suggestions(project, SuggestOptions(model="blank"))  # 3 for, 2 against: it may
    assert [(s.label, s.score) for s in project.spans(fifth)] == [("ORG", 0.5714)]
    # an acceptance with another label counts against ORG (3 for, 3 against), and the three
    # ORG acceptances count against PER (1 for, 3 against): neither is proposed any more
    _accept(project, third, "Meta", "PER")
    run_suggestions(project, SuggestOptions(model="blank"))
    assert project.spans(fifth) == []


def test_a_run_proposes_the_longest_accepted_string_where_two_overlap(project: Project) -> None:
    first, second = add_texts(project, TRUMP_TEXTS)
    _accept(project, first, "Donald Trump", "PER")
    _accept(project, first, "Trump", "PER", nth=1)
    run_suggestions(project, SuggestOptions(model="blank"))
    text = TRUMP_TEXTS[1]
    # "Trump" not inside "Donald Trump", nor in "Trump Tower" (part of a longer name)
    assert _propagated(project, second) == [
        ("Donald Trump", text.index("Donald"), "PER"),
        ("Trump", text.rindex("Trump"), "PER"),
    ]


@pytest.mark.parametrize(
    ("text", "needle", "glued"),
    [
        ("Hier Guillaume Holtein est venu.", "Holtein", True),  # after a first name
        ("Il a vu Paris Nord hier.", "Paris", True),  # before a capitalised word
        ("La Banque de France prête.", "France", True),  # through "de"
        ("Le Chantier de la Loire ferme.", "Loire", True),  # through "de la"
        ("Parti de New-York, p. Le Havre.", "Havre", True),  # a capitalised article
        ("Le Havre dort.", "Havre", False),  # that opens the sentence
        ("Parti du Havre hier.", "Havre", False),
        ("Dans l'Etat du Maine, rien.", "Etat", True),  # forward through "du"
        ("Voir ETAT-CIVIL ici.", "ETAT", True),  # hyphenated to a capitalised word
        ("Et Jean-Paul vint.", "Paul", True),
        ("Est -ce vrai ? Il est là.", "Est", True),  # opens a sentence, also in lower case
        ("Rennes , le 3 mai. Rennes dort.", "Rennes", False),  # opens a sentence: no matter
        ("M. Clemenceau parle.", "Clemenceau", False),  # an initial is not a name word
        ("La ville de Rennes dort.", "Rennes", False),  # "ville" is not capitalised
        ("Dans l'Etat, rien.", "Etat", False),  # the elision does not glue
        ("Le style WSJ-like plaît.", "WSJ", False),  # hyphenated to a lower-case word
        ("Il part. Paris , 22 avril.", "Paris", False),
        ("Voir CENTRE DE Vannes ici.", "Vannes", False),  # a heading in capitals before
        ("Vu à Nantes DEPOTS ici.", "Nantes", False),  # and after
        ("La FACULTE DE RENNES ouvre.", "RENNES", True),  # a name in capitals: one heading
    ],
)
def test_part_of_a_longer_name(text: str, needle: str, glued: bool) -> None:
    start = text.index(needle)
    assert part_of_a_longer_name(text, start, start + len(needle)) is glued


def test_of_two_labels_on_the_same_place_the_better_scored_wins_and_a_tie_proposes_none() -> None:
    def candidate(label: str, score: float) -> Span:
        return Span(doc_id=1, start=0, end=6, label=label, status="suggested", score=score)

    assert [s.label for s in free_places([candidate("LOC", 0.6), candidate("ORG", 0.75)], [])] == [
        "ORG"
    ]
    assert free_places([candidate("LOC", 0.6), candidate("ORG", 0.6)], []) == []


def test_a_lone_full_stop_ends_a_sentence_an_initial_does_not() -> None:
    text = "Il dort . Est -ce que est vrai ? Voir M. Est ici."
    first = text.index("Est")
    assert part_of_a_longer_name(text, first, first + 3)  # opens a sentence, "est" is there
    second = text.rindex("Est")
    assert not part_of_a_longer_name(text, second, second + 3)  # after "M.": not a sentence start


def test_a_capitalised_word_the_corpus_also_writes_in_lower_case_does_not_propagate(
    project: Project,
) -> None:
    texts = ["La Chambre vote.", "La Chambre siège.", "Une chambre, puis la chambre verte."]
    first, second, _ = add_texts(project, texts)
    chambre = _accept(project, first, "Chambre", "ORG")
    # "chambre" twice for "Chambre" twice: a common word whose capital says little
    assert compute_propagation(project, chambre) == []
    assert run_suggestions(project, SuggestOptions(model="blank")).spans_added == 0
    assert project.spans(second) == []


def test_a_name_written_once_in_lower_case_among_many_capitals_still_propagates(
    project: Project,
) -> None:
    texts = ["Il vit à Paris.", "De Paris à Rennes.", "Vers Paris, puis Paris.", "un paris"]
    first, second, third, _ = add_texts(project, texts)
    paris = _accept(project, first, "Paris", "LOC")
    assert propagate_from(project, paris) == 3
    assert [d for d in (second, third) for _ in _propagated(project, d)] == [
        second,
        third,
        third,
    ]


@pytest.mark.parametrize("padding", [0, 20])  # few words: instr picks documents; many: all read
def test_word_counts_counts_whole_words_case_sensitively(project: Project, padding: int) -> None:
    add_texts(project, ["Est-ce à l'Est ? Il est là.", "Ouest, est, nord-est, Est.", "Rien."])
    words = {"Est", "est", "Nord", *(f"mot{n}" for n in range(padding))}
    counts = word_counts(project, words)
    assert (counts["Est"], counts["est"], counts["Nord"]) == (3, 3, 0)


def test_a_rejection_that_tips_the_evidence_withdraws_the_pending_propagation(
    project: Project,
) -> None:
    texts = ["Meta a dit.", "Meta encore.", "Meta toujours.", "Puis Meta.", "Et Meta."]
    first, second, third, fourth, fifth, sixth = add_texts(project, [*texts, "Vu Meta."])
    _accept(project, sixth, "Meta", "ORG")
    meta = _accept(project, first, "Meta", "ORG")
    assert propagate_from(project, meta) == 4

    def reject_pending(doc_id: int) -> Span:
        (pending,) = project.spans(doc_id, "suggested")
        project.apply(edits.reject_span(pending))
        return pending.model_copy(update={"status": "rejected"})

    # two for, one against: it still propagates, nothing is withdrawn
    assert compute_propagation(project, reject_pending(second)) == []
    # two for, two against: the suggestions still pending go, without a trace
    planned = compute_propagation(project, reject_pending(third))
    assert [(d.doc_id, d.spans, len(d.withdrawn)) for d in planned] == [
        (fourth, (), 1),
        (fifth, (), 1),
    ]
    result = store_propagation(project, planned)
    assert (result.added, result.withdrawn, result.superseded_in) == (0, 2, {fourth, fifth})
    assert project.spans(fourth) == project.spans(fifth) == []
    assert [s.status for d in (second, third) for s in project.spans(d)] == ["rejected"] * 2


def test_a_string_left_unmarked_in_a_finished_document_counts_against_it(
    project: Project,
) -> None:
    texts = ["Orion a dit.", "Puis Orion.", "Orion Capital et Orion ici.", "Et Orion."]
    first, second, finished, fourth = add_texts(project, texts)
    project.add_spans([_there(finished, texts[2], "Orion Capital", "ORG", "accepted")])
    project.set_document_status(finished, "done")
    orion = _accept(project, first, "Orion", "ORG")
    # the second "Orion" of the finished document was left unmarked: one for, one against;
    # the first is inside an accepted span, which says nothing about "Orion" alone
    assert compute_propagation(project, orion) == []
    assert run_suggestions(project, SuggestOptions(model="blank")).spans_added == 0
    _accept(project, fourth, "Orion", "ORG")
    assert propagate_from(project, orion) == 1
    # two for, one against: (2 + 1) / (3 + 2)
    assert [(s.label, s.score) for s in project.spans(second)] == [("ORG", 0.6)]


def _window_and_run(
    project: Project, accepted: Span, doc_id: int
) -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
    """What propagation proposes in ``doc_id`` after ``accepted`` in the window, then in a
    suggestion run once the window's suggestions are gone."""
    propagate_from(project, accepted)
    window = _propagated(project, doc_id)
    for span in project.spans(doc_id):
        project.apply(edits.remove_span(span, []))
    run_suggestions(project, SuggestOptions(model="blank"))
    return window, _propagated(project, doc_id)


@pytest.mark.parametrize(
    ("context", "names", "label", "needle", "needle_label", "text"),
    [
        # "M." came before three accepted PER and nothing else: "Briand", accepted once as
        # ORG, is not proposed as ORG after "M."
        (
            "M. Durand, M. Dupont et M. Martin votent.",
            ("Durand", "Dupont", "Martin"),
            "PER",
            "Briand",
            "ORG",
            "Puis M. Briand parle, et le groupe Briand se tait.",
        ),
        # "rue" opened three accepted LOC: "Morbihan" after "rue du" is the tail of a longer
        # name people mark whole
        (
            "Au 3, rue de Vannes, rue des Lices et rue Notre-Dame.",
            ("rue de Vannes", "rue des Lices", "rue Notre-Dame"),
            "LOC",
            "Morbihan",
            "LOC",
            "Au 67, rue du Morbihan, loin du Morbihan.",
        ),
    ],
)
def test_a_string_is_not_proposed_where_its_context_is_unlike_the_accepted_ones(
    project: Project,
    context: str,
    names: tuple[str, ...],
    label: str,
    needle: str,
    needle_label: str,
    text: str,
) -> None:
    """Not in the window nor in a run; at its other place it is."""
    people, first, second = add_texts(project, [context, f"Vu {needle}.", text])
    for name in names:
        _accept(project, people, name, label)
    accepted = _accept(project, first, needle, needle_label)
    expected = [(needle, text.rindex(needle), needle_label)]
    assert _window_and_run(project, accepted, second) == (expected, expected)


def test_a_word_is_trusted_as_context_only_after_enough_accepted_spans() -> None:
    contexts = LabelContexts()
    contexts.add("Vu par M. ", "Durand", "PER", 2)
    text = "Selon M. Briand."
    start = text.index("Briand")
    assert not contexts.unlike(text, start, "ORG")  # two spans: too few to say
    contexts.add("et\nM. ", "Dupont", "PER")
    assert contexts.unlike(text, start, "ORG")
    assert not contexts.unlike(text, start, "PER")
    contexts.add("à M. ", "Leroy", "ORG")  # one ORG in four: a label seen there often enough
    assert not contexts.unlike(text, start, "ORG")
    # punctuation, a line start or a glued word say nothing
    assert [word_before(left) for left in ("Il dit , ", "Fin.\n", "l'", "")] == [None] * 4


def test_a_word_that_opens_names_more_often_than_it_precedes_them_makes_a_frame() -> None:
    contexts = LabelContexts()
    contexts.add("Au ", "rue de Vannes", "LOC", 2)
    text = "Au 67, rue du Morbihan."
    start = text.index("Morbihan")
    assert not contexts.inside_a_longer_name(text, start)  # opened two: too few to say
    contexts.add("la ", "rue Notre-Dame", "LOC")
    assert contexts.inside_a_longer_name(text, start)
    contexts.add("la rue ", "Lesage", "LOC", 3)  # as often before one: no frame
    assert not contexts.inside_a_longer_name(text, start)


def test_a_place_inside_a_longer_name_left_unmarked_does_not_count_against_the_string(
    project: Project,
) -> None:
    """Propagation would not propose "Morbihan" in "rue du Morbihan" (people mark the whole
    street), so that place left unmarked in a finished document is no evidence against it."""
    texts = [
        "Au 3, rue de Vannes, rue des Lices et rue Notre-Dame.",
        "Au 67, rue du Morbihan.",
        "Il vit dans le Morbihan.",
        "Il part vers le Morbihan.",
    ]
    streets, finished, first, second = add_texts(project, texts)
    for street in ("rue de Vannes", "rue des Lices", "rue Notre-Dame"):
        _accept(project, streets, street, "LOC")
    project.set_document_status(finished, "done")
    morbihan = _accept(project, first, "Morbihan", "LOC")
    assert propagate_from(project, morbihan) == 1
    assert _propagated(project, second) == [("Morbihan", texts[3].index("Morbihan"), "LOC")]


def test_a_run_proposes_only_on_the_tokens_the_document_was_imported_with(
    project: Project,
) -> None:
    """A CoNLL file may glue what the pipeline splits (",César" one token): the window's
    search, on the stored tokens, proposes nothing inside it, and a run does the same."""
    first, second = add_texts(project, ["César parle.", "Vu César. Puis O. ,César arrive."])
    text = project.document(second).text
    glued = text.index(",César")
    tokens = [(start, end) for start, end in project.tokens(second) if start != glued + 1]
    project.set_tokens(second, tuple((glued, glued + 6) if t[0] == glued else t for t in tokens))
    accepted = _accept(project, first, "César", "PER")
    expected = [("César", text.index("César"), "PER")]
    assert _window_and_run(project, accepted, second) == (expected, expected)


def test_a_decision_that_makes_a_frame_withdraws_the_suggestions_inside_it(
    project: Project,
) -> None:
    """ "Morbihan" proposed in "rue du Morbihan" while "rue" had opened two streets; the third
    street makes "rue" a frame, so that pending suggestion goes, as a run would leave it out."""
    text = "Au 67, rue du Morbihan, loin du Morbihan."
    streets, first, second = add_texts(
        project, ["Au 3, rue de Vannes, rue des Lices et rue Notre-Dame.", "Vu Morbihan.", text]
    )
    for street in ("rue de Vannes", "rue des Lices"):
        _accept(project, streets, street, "LOC")
    assert propagate_from(project, _accept(project, first, "Morbihan", "LOC")) == 2
    third = _accept(project, streets, "rue Notre-Dame", "LOC")
    propagate_from(project, third)
    assert _propagated(project, second) == [("Morbihan", text.rindex("Morbihan"), "LOC")]


def test_a_span_changes_the_verdict_of_the_words_it_tips() -> None:
    contexts = LabelContexts()
    contexts.add("67, ", "rue de Vannes", "LOC", 3)
    assert contexts.changed_by("67, ", "rue de Vannes", "LOC") == ["rue"]  # 2 -> 3 opened
    contexts.add("67, ", "rue de Rennes", "LOC")
    assert contexts.changed_by("67, ", "rue de Rennes", "LOC") == []  # a frame already
    contexts.add("Vu par M. ", "Durand", "PER", 3)
    assert contexts.changed_by("Vu par M. ", "Durand", "PER") == ["m."]  # trusted from 3
    contexts.add("à M. ", "Leroy", "ORG")  # 1 ORG of 4: ORG may follow "M." now
    assert contexts.changed_by("à M. ", "Leroy", "ORG") == ["m."]
