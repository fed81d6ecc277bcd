"""Working as a team: split, merge and agreement, with figures computed by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import AnnotatorError, ProjectError, ValidationError
from annotator.model import Document, LabelSchema, ProjectSettings, Relation, Span
from annotator.services import team
from annotator.services.agreement import Coincidences, KappaCounts, agreement, bio_tags
from annotator.store import Project, project_stats

DOC_1 = "Alice Martin travaille chez Acme à Paris ."
DOC_2 = "Bob dirige Initech ."
DOC_3 = "Carole habite Lyon ."


def _tokens(text: str) -> tuple[tuple[int, int], ...]:
    found, position = [], 0
    for word in text.split(" "):
        found.append((position, position + len(word)))
        position += len(word) + 1
    return tuple(found)


def _make(
    path: Path,
    annotator: str | None,
    documents: dict[str, tuple[str, list[tuple[int, int, str]], list[tuple[int, int, str]]]],
    schema: LabelSchema | None = None,
) -> Path:
    """``{text: (status, [(start, end, label)], [(head index, child index, label)])}``."""
    with Project.create(path, ProjectSettings(annotator=annotator), schema) as project:
        for text, (status, spans, links) in documents.items():
            doc_id, _ = project.add_document(Document(text=text, tokens=_tokens(text)))
            made = [Span(doc_id=doc_id, start=s, end=e, label=label) for s, e, label in spans]
            project.add_spans(made)
            project.add_relations(
                Relation(doc_id=doc_id, head=made[h].id, child=made[c].id, label=label)
                for h, c, label in links
            )
            project.set_document_status(doc_id, status)  # type: ignore[arg-type]
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a = _make(
        tmp_path / "a.annotator",
        "alice",
        {
            DOC_1: (
                "done",
                [(0, 12, "PER"), (28, 32, "ORG"), (35, 40, "LOC")],
                [(0, 1, "works_for")],
            ),
            DOC_2: ("done", [(0, 3, "PER"), (11, 18, "ORG")], [(0, 1, "works_for")]),
            DOC_3: ("done", [(0, 6, "PER")], []),  # only alice finished it
        },
    )
    b = _make(
        tmp_path / "b.annotator",
        "bob",
        {
            DOC_1: ("done", [(0, 5, "PER"), (28, 32, "LOC"), (35, 40, "LOC")], []),
            DOC_2: ("done", [(0, 3, "PER"), (11, 18, "ORG")], [(0, 1, "works_for")]),
            DOC_3: ("in_progress", [(14, 18, "LOC")], []),
        },
    )
    return a, b


def test_agreement_figures_are_the_hand_computed_ones(pair) -> None:
    figures = agreement(pair)
    assert figures["annotators"] == ["alice", "bob"]
    assert figures["documents"] == 2  # DOC_3 is not done by bob
    assert figures["tokens"] == 12
    [result] = figures["pairs"]
    # exact: PER 1 of 2+2, ORG 1 of 2+1, LOC 1 of 1+2; all: 3 of 5+5
    assert result["per_label"]["PER"]["exact_f1"] == 0.5
    assert result["per_label"]["ORG"]["exact_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["per_label"]["LOC"]["exact_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["span_exact_f1"] == 0.6
    # overlapping: "Alice Martin" and "Alice" match; all: 4 matched each way of 5+5
    assert result["per_label"]["PER"]["overlap_f1"] == 1.0
    assert result["span_overlap_f1"] == 0.8
    # relations: 1 in common, alice 2, bob 1
    assert result["relation_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # tokens: 10 of 12 agree; expected (2*2 + 6*7 + 2*1 + 1*2) / 144 = 50/144
    assert result["token_kappa"] == pytest.approx(70 / 94, abs=1e-4)
    # coincidences: 4 off the diagonal, n = 24, sum of n_c^2 = 204: 1 - 23 * 4 / 372
    assert figures["krippendorff_alpha"] == pytest.approx(1 - 92 / 372, abs=1e-4)
    assert figures["confusion"] == {
        "-": {"PER": 1},
        "LOC": {"LOC": 1},
        "ORG": {"LOC": 1, "ORG": 1},
        "PER": {"-": 1, "PER": 1},
    }


def test_two_labels_of_one_annotator_on_the_same_words_both_count_in_the_confusion(
    tmp_path: Path,
) -> None:
    """Alice's PER and MISC on 'Bob', bob's PER: the table counted one of alice's two spans."""
    a = _make(
        tmp_path / "a.annotator", "alice", {DOC_2: ("done", [(0, 3, "PER"), (0, 3, "MISC")], [])}
    )
    b = _make(tmp_path / "b.annotator", "bob", {DOC_2: ("done", [(0, 3, "PER")], [])})
    assert agreement([a, b])["confusion"] == {"MISC": {"-": 1}, "PER": {"PER": 1}}


def test_alpha_matches_the_krippendorff_package_for_three_annotators() -> None:
    krippendorff = pytest.importorskip("krippendorff")
    import numpy

    tags = [
        ["B-PER", "I-PER", "O", "O", "B-ORG", "O", "B-LOC", "O"],
        ["B-PER", "O", "O", "O", "B-LOC", "O", "B-LOC", "O"],
        ["B-PER", "I-PER", "O", "B-MISC", "B-ORG", "O", "O", "O"],
    ]
    codes = {tag: i for i, tag in enumerate(sorted({t for row in tags for t in row}))}
    data = numpy.array([[codes[t] for t in row] for row in tags])
    ours = Coincidences()
    ours.add(list(data))
    data = data.astype(float)
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours.alpha() == pytest.approx(expected, abs=1e-9)


def test_kappa_and_alpha_of_identical_constant_tags_are_none_as_the_references_say() -> None:
    """Two annotators who marked nothing 'agreed' at 1.000; scikit-learn's kappa is nan there,
    and the krippendorff package refuses a domain of one value."""
    import krippendorff
    import numpy

    counts = KappaCounts()
    assert counts.kappa() is None
    counts.add(numpy.zeros(2, dtype=int), numpy.zeros(2, dtype=int))
    assert counts.kappa() is None
    coincidences = Coincidences()
    coincidences.add([numpy.zeros(3, dtype=int), numpy.zeros(3, dtype=int)])
    assert coincidences.alpha() is None
    with pytest.raises(ValueError, match="more than one value"):
        krippendorff.alpha(reliability_data=numpy.zeros((2, 3)), level_of_measurement="nominal")
    counts.add(numpy.zeros(2, dtype=int), numpy.ones(2, dtype=int))
    assert counts.kappa() == 0.0


def test_agreement_without_any_entity_prints_dashes_and_says_why(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from annotator.cli import app

    a = _make(tmp_path / "a.annotator", "alice", {DOC_3: ("done", [], [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_3: ("done", [], [])})
    figures = agreement([a, b])
    assert (figures["documents"], figures["tokens"]) == (1, 4)
    assert figures["krippendorff_alpha"] is None
    assert figures["pairs"][0]["token_kappa"] is None
    assert figures["notes"] == [
        "every token compared has the same tag (no entity in the documents done by two or "
        "more): kappa and alpha measure nothing there, shown as -"
    ]
    printed = CliRunner().invoke(app, ["agreement", str(a), str(b)]).stdout
    assert "Krippendorff's alpha on tokens: -" in printed
    [row] = [line.split() for line in printed.splitlines() if "alice / bob" in line][:1]
    assert row == ["alice", "/", "bob", "1", "-", "-", "-", "-"]
    assert "note: every token compared has the same tag" in printed
    assert "Span F1 by label" not in printed  # an empty table, its header only, before


def test_bio_tags_of_overlapping_spans_keep_the_longer() -> None:
    tokens = _tokens(DOC_1)
    assert bio_tags(tokens, {(0, 12, "PER"), (6, 12, "MISC")})[:3] == ["B-PER", "I-PER", "O"]


def test_merge_keeps_every_decision_with_who_made_it(pair, tmp_path) -> None:
    c = _make(
        tmp_path / "c.annotator",
        "chloe",
        {DOC_1: ("in_progress", [(0, 12, "PER")], []), "Un texte seul .": ("done", [], [])},
    )
    report = team.merge_projects(tmp_path / "review.annotator", [*pair, c])
    assert report.annotators == ["alice", "bob", "chloe"]
    assert (report.documents, report.shared, report.disputed) == (4, 3, 2)
    assert report.unmatched == {"alice": 0, "bob": 0, "chloe": 1}
    with Project.open(tmp_path / "review.annotator", read_only=True) as merged:
        assert merged.settings.review_of == ("alice", "bob", "chloe")
        by_text = {merged.document(i).text: i for i in merged.document_ids()}
        versions = {
            (s.start, s.end, s.label): (s.origin, s.status, s.score)
            for s in merged.spans(by_text[DOC_1])
        }
        assert versions == {
            (0, 12, "PER"): ("annotator:alice+chloe", "suggested", pytest.approx(2 / 3, abs=1e-4)),
            (0, 5, "PER"): ("annotator:bob", "suggested", pytest.approx(1 / 3, abs=1e-4)),
            (28, 32, "ORG"): ("annotator:alice", "suggested", pytest.approx(1 / 3, abs=1e-4)),
            (28, 32, "LOC"): ("annotator:bob", "suggested", pytest.approx(1 / 3, abs=1e-4)),
            (35, 40, "LOC"): ("annotator:alice+bob", "suggested", pytest.approx(2 / 3, abs=1e-4)),
        }
        [relation] = merged.relations(by_text[DOC_2])
        assert (relation.origin, relation.label, relation.score) == (
            "annotator:alice+bob",
            "works_for",
            1.0,
        )
        meta = merged.document(by_text[DOC_1]).meta
        assert meta["annotators"] == {"alice": "done", "bob": "done", "chloe": "in_progress"}
        assert project_stats(merged)["documents"]["in_dispute"] == 2  # stats says what is left
    with Project.open(pair[0], read_only=True) as alone:
        assert "in_dispute" not in project_stats(alone)["documents"]


def _lieu(label: str) -> str:
    return "LIEU" if label == "LOC" else label


def test_merge_refuses_different_label_sets_unless_mapped(pair, tmp_path) -> None:
    schema = LabelSchema.model_validate(
        {**Project.open(pair[0], read_only=True).schema.model_dump()}
    )
    entities = [
        {**e.model_dump(), "name": "LIEU"} if e.name == "LOC" else e.model_dump()
        for e in schema.entities
    ]
    relations = [
        {
            **r.model_dump(),
            "allowed": [[_lieu(h), _lieu(c)] for h, c in r.allowed] if r.allowed else r.allowed,
        }
        for r in schema.relations
    ]
    other = LabelSchema.model_validate({"entities": entities, "relations": relations})
    lieu = _make(tmp_path / "l.annotator", "lea", {DOC_2: ("done", [(11, 18, "LIEU")], [])}, other)
    with pytest.raises(ValidationError, match="entity labels differ: .*l.annotator has LIEU"):
        team.merge_projects(tmp_path / "out.annotator", [pair[0], lieu])
    assert not (tmp_path / "out.annotator").exists()
    report = team.merge_projects(tmp_path / "out.annotator", [pair[0], lieu], {"LIEU": "LOC"})
    assert report.shared == 1
    with Project.open(tmp_path / "out.annotator", read_only=True) as merged:
        labels = {s.label for i in merged.document_ids() for s in merged.spans(i)}
    assert "LIEU" not in labels and "LOC" in labels


def test_merge_refuses_other_languages_and_reports_the_same_file_twice(pair, tmp_path) -> None:
    english = tmp_path / "en.annotator"
    with Project.create(english, ProjectSettings(lang="en", annotator="eve")):
        pass
    with pytest.raises(ValidationError, match="language 'en'"):
        team.merge_projects(tmp_path / "x.annotator", [pair[0], english])
    report = team.merge_projects(tmp_path / "y.annotator", [pair[0], pair[1], pair[0]])
    assert report.annotators == ["alice", "bob"]
    assert any("given twice" in note for note in report.notes)
    copy = tmp_path / "copy.annotator"
    copy.write_bytes(pair[1].read_bytes())
    report = team.merge_projects(tmp_path / "z.annotator", [pair[0], pair[1], copy])
    assert report.annotators == ["alice", "bob"]
    assert any("a copy of" in note for note in report.notes)


def test_split_shares_out_documents_with_an_overlap(tmp_path) -> None:
    base = _make(
        tmp_path / "base.annotator",
        None,
        {f"Texte numéro {n} .": ("suggested", [(0, 5, "MISC")], []) for n in range(10)},
    )
    report = team.split_project(base, ["a", "b", "c"], overlap=0.2, seed=7)
    assert report.shared == 2
    assert sum(report.documents.values()) == 2 * 3 + 8
    texts: dict[str, set[str]] = {}
    for name, path in report.projects.items():
        assert path == tmp_path / f"base-{name}.annotator"
        with Project.open(path, read_only=True) as project:
            assert project.settings.annotator == name
            texts[name] = {project.document(i).text for i in project.document_ids()}
            first = project.document_ids()[0]
            assert [s.label for s in project.spans(first)] == ["MISC"]  # suggestions kept
            assert project.document_status(first) == "suggested"
    assert len(texts["a"] & texts["b"] & texts["c"]) == 2
    assert report.notes == []
    again = team.split_project(base, ["a", "b", "c"], seed=7, out_dir=tmp_path / "again")
    with Project.open(again.projects["b"], read_only=True) as project:
        assert {project.document(i).text for i in project.document_ids()} == texts["b"]


def test_split_refuses_bad_names_and_existing_files(tmp_path) -> None:
    base = _make(tmp_path / "base.annotator", None, {DOC_2: ("new", [], [])})
    with pytest.raises(ValidationError, match="annotator name"):
        team.split_project(base, ["a", "../b"])
    with pytest.raises(ValidationError, match="at least two"):
        team.split_project(base, ["a"])
    (tmp_path / "base-b.annotator").write_text("mine")
    with pytest.raises(ProjectError, match="base-b.annotator: a file already exists"):
        team.split_project(base, ["a", "b"])
    assert not (tmp_path / "base-a.annotator").exists()
    assert (tmp_path / "base-b.annotator").read_text() == "mine"


def test_split_of_a_crafted_base_names_the_base_and_leaves_no_part(tmp_path) -> None:
    """A start stored as text: 'span [x, 3) ... of document 1 is not a valid span', naming no
    file (found by a new-user run)."""
    import sqlite3

    base = _make(tmp_path / "base.annotator", None, {DOC_2: ("new", [(0, 3, "PER")], [])})
    with sqlite3.connect(base) as raw:
        raw.execute("UPDATE spans SET start = 'x'")
    raw.close()
    with pytest.raises(ValidationError) as refused:
        team.split_project(base, ["a", "b"])
    assert str(refused.value).startswith(f"{base}: document 1 cannot be copied (span [x, 3) ")
    assert not (tmp_path / "base-a.annotator").exists()


def test_edits_are_logged_with_the_annotator(tmp_path) -> None:
    from annotator import edits

    path = _make(tmp_path / "p.annotator", "alice", {DOC_2: ("new", [], [])})
    with Project.open(path) as project:
        project.apply(edits.AddSpan(span=Span(doc_id=1, start=0, end=3, label="PER")))
        assert project.edit_log(1)[-1]["actor"] == "alice"


def test_errors_are_annotator_errors() -> None:
    assert issubclass(ValidationError, AnnotatorError)


def test_cli_split_merge_and_agreement(pair, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from annotator.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["agreement", str(pair[0]), str(pair[1]), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"][0]["span_exact_f1"] == 0.6
    result = runner.invoke(app, ["agreement", str(pair[0]), str(pair[1])])
    assert result.exit_code == 0, result.output
    assert "Krippendorff's alpha on tokens: 0.753" in result.stdout
    result = runner.invoke(app, ["merge", str(tmp_path / "r.annotator"), *map(str, pair)])
    assert result.exit_code == 0, result.output
    assert "3 documents from alice, bob; 3 shared, 2 in dispute" in result.stdout
    result = runner.invoke(app, ["merge", str(tmp_path / "r.annotator"), *map(str, pair)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'r.annotator'}: a file already exists there"
    ]
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:  # left as it was
        assert merged.count_documents() == 3
    result = runner.invoke(
        app, ["split", str(pair[0]), "--annotators", "x,y", "--out-dir", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "a-x.annotator").exists()
    result = runner.invoke(app, ["new", str(tmp_path / "n.annotator"), "--annotator", "zoé!"])
    assert result.exit_code == 1 and "annotator name 'zoé!'" in result.stderr


def test_merge_refuses_other_tokens_for_the_same_text(pair, tmp_path) -> None:
    other = tmp_path / "o.annotator"
    with Project.create(other, ProjectSettings(annotator="otto")) as project:
        project.add_document(Document(text=DOC_2, tokens=((0, 10), (11, 20))))
    with pytest.raises(ValidationError, match="other tokens .* different tokenizers"):
        team.merge_projects(tmp_path / "x.annotator", [pair[0], other])
    assert not (tmp_path / "x.annotator").exists()


def _tokens_as_json(path: Path) -> None:
    """The file's tokens as an earlier version stored them: JSON text."""
    import sqlite3

    from annotator.model.document import offsets_json

    db = sqlite3.connect(path)
    stored = db.execute("SELECT doc_id, offsets FROM tokens").fetchall()
    assert stored and all(isinstance(offsets, bytes) for _, offsets in stored)
    db.executemany(
        "UPDATE tokens SET offsets = ? WHERE doc_id = ?",
        [(offsets_json(offsets), doc_id) for doc_id, offsets in stored],
    )
    db.commit()
    db.close()


def test_files_of_two_versions_merge_and_agree_as_files_of_one(pair, tmp_path) -> None:
    """Tokens stored as JSON text by an earlier version, as bytes by this one: the same
    tokens, not "other tokens"; the merged file stores bytes."""
    before = agreement(pair)
    team.merge_projects(tmp_path / "same.annotator", list(pair))
    _tokens_as_json(pair[1])
    assert agreement(pair) == before
    report = team.merge_projects(tmp_path / "mixed.annotator", list(pair))
    assert (report.documents, report.shared) == (3, 3)
    with (
        Project.open(tmp_path / "same.annotator", read_only=True) as same,
        Project.open(tmp_path / "mixed.annotator", read_only=True) as mixed,
    ):
        query = "SELECT doc_id, offsets FROM tokens ORDER BY doc_id"
        merged = mixed.db.execute(query).fetchall()
        assert merged == same.db.execute(query).fetchall()
        assert all(isinstance(offsets, bytes) for _, offsets in merged)
        assert [mixed.tokens(i) for i in mixed.document_ids()] == [
            same.tokens(i) for i in same.document_ids()
        ]


@pytest.mark.parametrize("crafted", [bytes(12), "abc", "[[0,4],[5]]", 7])
def test_tokens_that_are_not_whole_pairs_stop_merge_and_agreement_naming_them(
    pair, tmp_path, crafted
) -> None:
    """Agreement counted no token of such a document and went on; a merge copied them into
    its file (a new-user run). Now one line names the file and the document."""
    import sqlite3

    db = sqlite3.connect(pair[1])
    db.execute("UPDATE tokens SET offsets = ? WHERE doc_id = 2", [crafted])
    db.commit()
    db.close()
    said = f"{pair[1]}: document 2: its stored tokens are not whole offset pairs"
    with pytest.raises(ValidationError) as refused:
        agreement(pair)
    assert str(refused.value) == said
    with pytest.raises(ValidationError) as refused:
        team.merge_projects(tmp_path / "m.annotator", list(pair))
    assert str(refused.value) == said
    assert not (tmp_path / "m.annotator").exists()


def test_a_merged_project_lists_documents_in_dispute_first(pair, tmp_path) -> None:
    from annotator.store.listing import IN_DISPUTE, DocumentFilter, filtered_ids

    team.merge_projects(tmp_path / "r.annotator", list(pair))
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        disputed = filtered_ids(merged, DocumentFilter(status=IN_DISPUTE))
        assert disputed == [1, 2]  # DOC_1 and DOC_3 disagree; DOC_2 does not
        assert merged.document(3).text == DOC_2


def test_a_merged_project_counts_its_documents_by_status(pair, tmp_path) -> None:
    """The merge writes each file's documents with their count trigger dropped, then counts."""
    from annotator.store.listing import status_counts

    c = _make(
        tmp_path / "c.annotator",
        "carol",
        {DOC_1: ("done", [(0, 12, "PER")], []), "Un texte que carol seule a .": ("new", [], [])},
    )
    team.merge_projects(tmp_path / "r.annotator", [*pair, c])
    count = "SELECT status, count(*) FROM documents GROUP BY status"
    with Project.open(tmp_path / "r.annotator") as merged:  # the layout check on open passes
        assert status_counts(merged) == dict(merged.db.execute(count))
        assert sum(status_counts(merged).values()) == 4
        merged.set_document_status(4, "skipped")  # the triggers count again afterwards
        assert status_counts(merged) == dict(merged.db.execute(count))
        assert status_counts(merged).get("skipped") == 1


def test_the_prodigy_export_names_the_annotator(tmp_path) -> None:
    import json

    from annotator.services.exporting import export_project

    path = _make(tmp_path / "p.annotator", "alice", {DOC_2: ("done", [(0, 3, "PER")], [])})
    with Project.open(path) as project:
        report = export_project(project, "prodigy", tmp_path / "out.jsonl")
    [task] = [json.loads(line) for line in Path(report.files[0]).read_text().splitlines()]
    assert (task["_annotator_id"], task["_session_id"], task["answer"]) == (
        "alice",
        "alice",
        "accept",
    )


def test_a_merge_numbers_disputes_first_and_settled_documents_after(tmp_path) -> None:
    from annotator.store.listing import IN_DISPUTE, DocumentFilter, filtered_ids

    texts = [f"Texte {n} de Paris ." for n in range(6)]
    settled = [(0, 5, "PER")]
    a = _make(tmp_path / "a.annotator", "alice", {t: ("done", settled, []) for t in texts})
    b = _make(
        tmp_path / "b.annotator",
        "bob",
        {t: ("done", [(0, 5, "ORG")] if n % 3 == 0 else settled, []) for n, t in enumerate(texts)},
    )
    report = team.merge_projects(tmp_path / "r.annotator", [a, b])
    assert (report.documents, report.disputed) == (6, 2)
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        assert merged.document_ids() == [1, 2, 3, 4, 5, 6]
        assert filtered_ids(merged, DocumentFilter(status=IN_DISPUTE)) == [1, 2]
        assert {merged.document(i).text for i in (1, 2)} == {texts[0], texts[3]}
        assert all(merged.tokens(i) == _tokens(merged.document(i).text) for i in range(1, 7))
        # the text filter finds every document under its own id, before the text index
        # caught up (a merge leaves it for later, as an import does) and after
        fourth = [i for i in range(1, 7) if merged.document(i).text == texts[4]]
        assert merged.count_unindexed() == 6
        assert filtered_ids(merged, DocumentFilter(text="Texte 4 ")) == fourth
    with Project.open(tmp_path / "r.annotator") as merged:
        assert merged.index_texts() == 6
        assert filtered_ids(merged, DocumentFilter(text="Texte 4 ")) == fourth


def test_a_merged_span_off_token_boundaries_stays_flagged(tmp_path) -> None:
    a = _make(tmp_path / "a.annotator", "alice", {DOC_2: ("done", [(0, 2, "PER")], [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_2: ("done", [(0, 3, "PER")], [])})
    team.merge_projects(tmp_path / "r.annotator", [a, b])
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        [flagged] = merged.misaligned_span_ids(1)
        assert (merged.span(flagged).start, merged.span(flagged).end) == (0, 2)
        assert len(merged.spans(1)) == 2


def test_a_merge_refuses_a_span_the_schema_does_not_have_naming_its_file(tmp_path) -> None:
    import sqlite3

    a = _make(tmp_path / "a.annotator", "alice", {DOC_2: ("done", [(0, 3, "PER")], [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_2: ("done", [(0, 3, "PER")], [])})
    with sqlite3.connect(b) as raw:  # a file changed by hand, outside the app
        raw.execute("UPDATE spans SET label = 'CHOSE'")
    raw.close()
    with pytest.raises(ValidationError, match=r"b\.annotator: document 1: span \[0, 3\) 'CHOSE'"):
        team.merge_projects(tmp_path / "r.annotator", [a, b])
    assert not (tmp_path / "r.annotator").exists()


def test_a_merge_refusing_a_relation_names_the_schema_it_follows(tmp_path) -> None:
    """It said 'not allowed by the schema', not whose: the merged project takes the first
    file's."""
    import sqlite3

    spans = [(0, 3, "PER"), (11, 18, "ORG")]
    a = _make(tmp_path / "a.annotator", "alice", {DOC_2: ("done", spans, [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_2: ("done", spans, [(0, 1, "works_for")])})
    with sqlite3.connect(b) as raw:  # as if bob's schema allowed works_for from ORG to PER
        raw.execute("UPDATE relations SET head = child, child = head")
    raw.close()
    with pytest.raises(ValidationError) as refused:
        team.merge_projects(tmp_path / "r.annotator", [a, b])
    assert str(refused.value).endswith(
        f"relation 'works_for' from ORG to PER is not allowed by the schema of {a}, the first "
        "file, which the merged project takes: allow the pair there, or list first a file whose "
        "schema does"
    )


def _bio_by_token(tokens, spans) -> list[str]:
    """BIO tags token by token, as the rule says: longer spans (then earlier) first."""
    tags = ["O"] * len(tokens)
    for start, end, label in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0], s[2])):
        inside = [i for i, (s, e) in enumerate(tokens) if s < end and start < e]
        if inside and all(tags[i] == "O" for i in inside):
            tags[inside[0]] = "B-" + label
            for i in inside[1:]:
                tags[i] = "I-" + label
    return tags


def test_bio_tags_by_interval_arithmetic_are_those_read_token_by_token() -> None:
    import random

    tokens = _tokens(DOC_1)
    rng = random.Random(3)
    for _ in range(300):
        spans = set()
        for _ in range(rng.randint(1, 4)):
            start = rng.randrange(len(DOC_1) - 1)
            spans.add((start, rng.randint(start + 1, len(DOC_1)), rng.choice(["PER", "LOC"])))
        assert bio_tags(tokens, spans) == _bio_by_token(tokens, spans), spans


def test_alpha_over_documents_each_finished_by_some_matches_the_package(tmp_path) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    import numpy

    spans = {
        "alice": {DOC_1: [(0, 12, "PER"), (35, 40, "LOC")], DOC_2: [(0, 3, "PER")]},
        "bob": {DOC_1: [(0, 5, "PER"), (35, 40, "LOC")], DOC_2: [(11, 18, "ORG")]},
        "chloe": {DOC_1: [(0, 12, "PER"), (28, 32, "ORG")], DOC_2: [(0, 3, "PER")]},
    }
    paths = [
        _make(
            tmp_path / f"{name}.annotator",
            name,
            {
                text: ("in_progress" if name == "chloe" and text == DOC_2 else "done", found, [])
                for text, found in by_text.items()
            },
        )
        for name, by_text in spans.items()
    ]
    figures = agreement(paths)
    assert figures["documents"] == 2
    rows = []
    for name in spans:
        row: list[str | None] = []
        for text in (DOC_1, DOC_2):
            finished = not (name == "chloe" and text == DOC_2)
            tags = bio_tags(_tokens(text), set(spans[name][text]))
            row += tags if finished else [None] * len(tags)
        rows.append(row)
    codes = {tag: i for i, tag in enumerate(sorted({t for row in rows for t in row if t}))}
    data = numpy.array([[numpy.nan if t is None else codes[t] for t in row] for row in rows])
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert figures["krippendorff_alpha"] == pytest.approx(expected, abs=1e-4)


def test_consecutive_ids_sort_in_the_order_made_and_differ_between_runs() -> None:
    from annotator.model.span import consecutive_ids

    first, second = consecutive_ids(300), consecutive_ids(3)
    assert first == sorted(first) and len(set(first + second)) == 303
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first + second)


def test_tags_of_a_batch_of_documents_are_each_document_s_own() -> None:
    """Documents tagged together (offsets shifted) get the tags each gets alone: with spans
    apart, spans over no token, a document without tokens, and spans that share a token."""
    import random

    import numpy

    from annotator.services.agreement import TagCodes

    tokens = _tokens(DOC_1)
    rng = random.Random(5)
    for _ in range(100):
        documents = []
        for _ in range(rng.randint(1, 5)):
            spans = set()
            for _ in range(rng.randint(0, 3)):
                start = rng.randrange(len(DOC_1) - 1)
                end = rng.randint(start + 1, min(start + 12, len(DOC_1)))
                spans.add((start, end, rng.choice(["PER", "LOC"])))
            edges = tokens if rng.random() > 0.1 else ()
            documents.append([numpy.array([e[i] for e in edges], dtype=int) for i in (0, 1)])
            documents[-1].append(spans)
        codes = TagCodes()
        alone = [codes.bio_of_edges(*document) for document in documents]
        together = codes.bio_of_batch(documents)
        assert together.tolist() == numpy.concatenate(alone).tolist(), documents


def test_a_relation_whose_end_is_undecided_is_merged_and_measured(pair, tmp_path) -> None:
    """Relations name their ends by id; an end that is no decision (a pending suggestion) is
    read on its own, so the relation still counts and its end is put up for review."""
    a, _b = pair
    c = tmp_path / "c.annotator"
    with Project.create(c, ProjectSettings(annotator="chloe")) as project:
        doc_id, _ = project.add_document(Document(text=DOC_2, tokens=_tokens(DOC_2)))
        head = Span(doc_id=doc_id, start=0, end=3, label="PER", status="suggested")
        child = Span(doc_id=doc_id, start=11, end=18, label="ORG")
        project.add_spans([head, child])
        project.add_relations(
            [Relation(doc_id=doc_id, head=head.id, child=child.id, label="works_for")]
        )
        project.set_document_status(doc_id, "done")
    figures = agreement([a, c])
    assert [pair["relation_f1"] for pair in figures["pairs"]] == [1.0]
    assert figures["pairs"][0]["span_exact_f1"] == pytest.approx(2 / 3, abs=1e-4)
    team.merge_projects(tmp_path / "r.annotator", [a, c])
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        [doc_id] = [i for i in merged.document_ids() if merged.document(i).text == DOC_2]
        [relation] = merged.relations(doc_id)
        assert relation.origin == "annotator:alice+chloe"
        ends = {s.id: (s.start, s.end, s.label, s.status) for s in merged.spans(doc_id)}
        assert ends[relation.head] == (0, 3, "PER", "suggested")
        assert ends[relation.child] == (11, 18, "ORG", "suggested")


def test_a_merge_keeps_rejections_and_puts_an_undecided_end_up_with_its_relation_s_makers(
    tmp_path,
) -> None:
    """Every kind of decision, row by row: accepted by both, by one, rejected by both, and the
    pending head of a relation one annotator accepted (made by that annotator)."""

    def make(path: Path, name: str, decided: list[tuple[int, int, str, str]]) -> Path:
        with Project.create(path, ProjectSettings(annotator=name)) as project:
            doc_id, _ = project.add_document(Document(text=DOC_1, tokens=_tokens(DOC_1)))
            spans = [
                Span(doc_id=doc_id, start=s, end=e, label=lb, status=st) for s, e, lb, st in decided
            ]
            project.add_spans(spans)
            if name == "alice":  # from the pending "Alice Martin" to the accepted "Acme"
                project.add_relations(
                    [
                        Relation(
                            doc_id=doc_id, head=spans[3].id, child=spans[1].id, label="works_for"
                        )
                    ]
                )
            project.set_document_status(doc_id, "done")
        return path

    a = make(
        tmp_path / "a.annotator",
        "alice",
        [
            (0, 5, "PER", "accepted"),
            (28, 32, "ORG", "accepted"),
            (35, 40, "LOC", "rejected"),
            (0, 12, "PER", "suggested"),
        ],
    )
    b = make(
        tmp_path / "b.annotator",
        "bob",
        [(0, 5, "PER", "accepted"), (35, 40, "LOC", "rejected"), (23, 27, "ORG", "rejected")],
    )
    report = team.merge_projects(tmp_path / "r.annotator", [b, a])
    assert (report.documents, report.disputed, report.versions, report.relations) == (1, 1, 3, 1)
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        rows = {(s.start, s.end, s.label): (s.origin, s.status, s.score) for s in merged.spans(1)}
        assert rows == {
            (0, 5, "PER"): ("annotator:alice+bob", "suggested", 1.0),
            (28, 32, "ORG"): ("annotator:alice", "suggested", 0.5),
            (35, 40, "LOC"): ("annotator:alice+bob", "rejected", 1.0),
            (23, 27, "ORG"): ("annotator:bob", "rejected", 0.5),
            (0, 12, "PER"): ("annotator:alice", "suggested", 0.5),  # the relation's end
        }
        [relation] = merged.relations(1)
        assert (relation.origin, relation.status, relation.score) == (
            "annotator:alice",
            "suggested",
            0.5,
        )
        assert (merged.span(relation.head).end, merged.span(relation.child).start) == (12, 28)
        assert merged.document(1).meta["annotators"] == {"bob": "done", "alice": "done"}


def test_a_merge_takes_more_projects_than_sqlite_attaches_at_once(tmp_path) -> None:
    """The files are attached one at a time: a team larger than SQLite's 10 attached files."""
    names = [f"annotator{n}" for n in range(12)]
    paths = [
        _make(tmp_path / f"{name}.annotator", name, {DOC_2: ("done", [(0, 3, "PER")], [])})
        for name in names
    ]
    report = team.merge_projects(tmp_path / "r.annotator", paths)
    assert (report.documents, report.shared, report.disputed) == (1, 1, 0)
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        [span] = merged.spans(1)
        assert (span.origin, span.score) == ("annotator:" + "+".join(sorted(names)), 1.0)
    assert agreement(paths[:11])["pairs"][0]["span_exact_f1"] == 1.0


def test_a_merge_into_one_of_its_own_projects_is_refused_and_leaves_it_whole(
    pair, tmp_path
) -> None:
    """The output's clean-up on failure deleted the file that made ``create`` fail: an
    annotator's own project, given as the output by mistake, was gone."""
    before = pair[1].read_bytes()
    with pytest.raises(ProjectError, match="a file already exists there"):
        team.merge_projects(pair[1], pair)
    assert pair[1].read_bytes() == before
    with Project.open(pair[1], read_only=True) as project:
        assert project.count_documents() == 3


def test_the_same_file_twice_is_named_when_too_few_remain(pair) -> None:
    with pytest.raises(ValidationError, match="given twice .*; read once"):
        team.merge_projects(pair[0].with_name("r.annotator"), [pair[0], pair[0]])
    assert not pair[0].with_name("r.annotator").exists()


def test_agreement_reads_at_80_columns_whatever_the_number_of_labels(tmp_path: Path) -> None:
    """A column per label, and a confusion matrix of them, were cut to '0.…' at 80 columns."""
    import os
    import subprocess
    import sys

    from annotator.model.schema import EntityLabel

    names = [f"Label{n}" for n in range(10)]
    schema = LabelSchema(entities=tuple(EntityLabel(name=name) for name in names))
    text = " ".join(f"mot{n}" for n in range(10))
    spans = [(5 * n, 5 * n + 4, name) for n, name in enumerate(names)]
    a = _make(tmp_path / "a.annotator", "alice", {text: ("done", spans, [])}, schema)
    b = _make(tmp_path / "b.annotator", "bob", {text: ("done", spans[::-1][1:], [])}, schema)
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "agreement", str(a), str(b)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root), "COLUMNS": "80"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80, result.stdout
    assert "…" not in result.stdout
    assert ["Label0", "alice", "/", "bob", "1.000", "1.000"] in [line.split() for line in lines]
    assert ["Label9", "alice", "/", "bob", "0.000", "0.000"] in [line.split() for line in lines]
    assert any(line.split() == ["Label3", "Label3", "1"] for line in lines)


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (0, 2, 1)])
def test_a_later_file_s_rejection_keeps_the_earlier_acceptances(tmp_path, order) -> None:
    """Alice and bob accepted a span, chloe (named last) rejected it: the merge kept only her
    rejection (``mask | NULL`` is NULL in SQL), so 2 of 3 annotators' span trained as O."""

    def make(name: str, status: str) -> Path:
        path = tmp_path / f"{name}.annotator"
        with Project.create(path, ProjectSettings(annotator=name)) as project:
            doc_id, _ = project.add_document(Document(text=DOC_2, tokens=_tokens(DOC_2)))
            project.add_spans([Span(doc_id=doc_id, start=11, end=18, label="ORG", status=status)])
            project.set_document_status(doc_id, "done")
        return path

    files = [make("alice", "accepted"), make("bob", "accepted"), make("chloe", "rejected")]
    report = team.merge_projects(tmp_path / "r.annotator", [files[i] for i in order])
    assert (report.shared, report.disputed, report.versions) == (1, 1, 1)
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        [span] = merged.spans(1)
        assert (span.origin, span.status) == ("annotator:alice+bob", "suggested")
        assert span.score == pytest.approx(2 / 3, abs=1e-4)


def test_a_copy_worked_on_since_is_not_read_once_as_a_copy(pair, tmp_path) -> None:
    """Copies of one project handed to two people had one annotator and creation time: the
    second person's work was dropped as 'a copy', silently."""
    import shutil

    alice, bob = pair
    same = shutil.copy(alice, tmp_path / "same.annotator")
    edited = shutil.copy(alice, tmp_path / "edited.annotator")
    with Project.open(edited) as project:
        project.set_document_status(3, "skipped")
    report = team.merge_projects(tmp_path / "r.annotator", [alice, same, bob])
    assert report.notes == [f"{same}: a copy of {alice}; read once"]
    with pytest.raises(
        ValidationError, match=f"edited.annotator: annotator 'alice' also made {alice}"
    ):
        team.merge_projects(tmp_path / "r2.annotator", [alice, edited, bob])
    assert not (tmp_path / "r2.annotator").exists()
    with pytest.raises(ValidationError, match="annotator 'alice' also made"):
        agreement([alice, bob, edited])


def test_done_with_pending_accept_leaves_competing_versions_to_the_reviewer(pair, tmp_path) -> None:
    """'Alice' (bob) and 'Alice Martin' (alice+chloe) were both accepted by ``done --pending
    accept``, and the export trained the minority's span where it kept the longer."""
    from annotator import edits
    from annotator.services.finishing import mark_done

    c = _make(tmp_path / "c.annotator", "chloe", {DOC_1: ("done", [(0, 12, "PER")], [])})
    team.merge_projects(tmp_path / "r.annotator", [*pair, c])
    with Project.open(tmp_path / "r.annotator") as merged:
        doc_id = next(i for i in merged.document_ids() if merged.document(i).text == DOC_1)
        with pytest.raises(ValidationError, match="other annotators' spans compete with"):
            mark_done(merged, [doc_id], "accept")
        spans = merged.spans(doc_id)
        accepting = edits.accept_all(spans, merged.relations(doc_id))
        accepted = {(e.after.start, e.after.end, e.after.label) for e in accepting.edits}
        assert accepted == {(35, 40, "LOC")}  # everyone's; the rest compete
        winner = next(s for s in spans if (s.start, s.end) == (0, 12))
        merged.apply(edits.take_version(winner, spans, merged.relations(doc_id)))
        merged.apply(
            edits.take_version(
                next(s for s in spans if (s.start, s.end, s.label) == (28, 32, "ORG")),
                merged.spans(doc_id),
                merged.relations(doc_id),
            )
        )
        mark_done(merged, [doc_id], "accept")
        assert {
            (s.start, s.end, s.label) for s in merged.spans(doc_id) if s.status == "accepted"
        } == {
            (0, 12, "PER"),
            (28, 32, "ORG"),
            (35, 40, "LOC"),
        }


def test_done_from_the_command_line_is_logged_with_the_annotator(tmp_path) -> None:
    """``annotator done`` logged 'cli', though the edit log names who made each decision."""
    from annotator.services.finishing import mark_done

    path = _make(tmp_path / "p.annotator", "alice", {DOC_2: ("in_progress", [(0, 3, "PER")], [])})
    with Project.open(path) as project:
        mark_done(project, [1])
        assert project.edit_log(1)[-1]["actor"] == "alice"


def test_the_name_command_prints_and_sets_the_annotator(tmp_path) -> None:
    from typer.testing import CliRunner

    from annotator.cli import app

    runner = CliRunner()
    path = _make(tmp_path / "p.annotator", None, {DOC_2: ("new", [], [])})
    shown = runner.invoke(app, ["name", str(path)])
    assert (shown.exit_code, shown.stdout.strip()) == (0, "(none: edits are logged as user)")
    assert runner.invoke(app, ["name", str(path), "bob"]).exit_code == 0
    assert runner.invoke(app, ["name", str(path)]).stdout.strip() == "bob"
    with Project.open(path, read_only=True) as project:
        assert project.settings.actor == "bob"
        assert project.edit_log()[-1]["description"] == "annotator name (none) -> bob"
    refused = runner.invoke(app, ["name", str(path), "bob smith"])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: annotator name 'bob smith': use 1 to 64 letters")


def test_a_figure_with_nothing_to_compare_is_none_and_no_overlap_is_explained(tmp_path) -> None:
    """Every pair printed 'relation F1 1.000' when nobody drew a relation, and files sharing
    no done document gave empty tables with no word why."""
    from typer.testing import CliRunner

    from annotator.cli import app

    a = _make(tmp_path / "a.annotator", "alice", {DOC_3: ("done", [(0, 6, "PER")], [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_3: ("done", [(0, 6, "PER")], [])})
    d = _make(tmp_path / "d.annotator", "dave", {DOC_2: ("done", [(0, 3, "PER")], [])})
    figures = agreement([a, b, d])
    [pair] = figures["pairs"]
    assert (pair["span_exact_f1"], pair["relation_f1"]) == (1.0, None)
    assert figures["notes"] == ["dave shares no done document with the others: left out"]
    printed = CliRunner().invoke(app, ["agreement", str(a), str(b)]).stdout
    [row] = [line.split() for line in printed.splitlines() if "alice / bob" in line][:1]
    assert row == ["alice", "/", "bob", "1", "1.000", "1.000", "-", "1.000"]
    alone = agreement([a, d])
    assert (alone["documents"], alone["pairs"]) == (0, [])
    assert alone["notes"][0].startswith("no document is done by two or more annotators")
    printed = CliRunner().invoke(app, ["agreement", str(a), str(d)]).stdout
    assert "Pairs" not in printed and "note: no document is done by two" in printed


def test_who_skipped_or_never_opened_a_document_is_no_disagreement(tmp_path) -> None:
    """Bob skipped the document and chloe never opened it: alice's span scored 1/3 and the
    document was in dispute, so Shift+T (what everyone made) would not take it."""
    a = _make(tmp_path / "a.annotator", "alice", {DOC_2: ("done", [(0, 3, "PER")], [])})
    b = _make(tmp_path / "b.annotator", "bob", {DOC_2: ("skipped", [], [])})
    c = _make(tmp_path / "c.annotator", "chloe", {DOC_2: ("new", [], [])})
    d = _make(tmp_path / "d.annotator", "dave", {DOC_2: ("skipped", [(11, 18, "ORG")], [])})
    report = team.merge_projects(tmp_path / "r.annotator", [a, b, c, d])
    assert (report.shared, report.disputed) == (1, 1)  # dave's skipped work is his decision
    with Project.open(tmp_path / "r.annotator", read_only=True) as merged:
        versions = {(s.start, s.label): (s.origin, s.score) for s in merged.spans(1)}
    assert versions == {(0, "PER"): ("annotator:alice", 0.5), (11, "ORG"): ("annotator:dave", 0.5)}
    report = team.merge_projects(tmp_path / "r2.annotator", [a, b, c])
    assert report.disputed == 0
    with Project.open(tmp_path / "r2.annotator", read_only=True) as merged:
        [span] = merged.spans(1)
        assert (span.origin, span.score) == ("annotator:alice", 1.0)


def test_the_first_project_may_have_labels_the_others_lack_and_a_map_names_a_real_label(
    pair, tmp_path
) -> None:
    """A first project with an unused DATE label was refused with advice no --map could
    follow, and ``--map NOPE=LOC`` (a label no project has) was taken silently."""
    from annotator.model import EntityLabel

    schema = Project.open(pair[0], read_only=True).schema
    wider = schema.model_copy(update={"entities": (*schema.entities, EntityLabel(name="DATE"))})
    hal = _make(tmp_path / "hal.annotator", "hal", {DOC_2: ("done", [(0, 3, "PER")], [])}, wider)
    report = team.merge_projects(tmp_path / "m.annotator", [hal, pair[1]])
    assert report.shared == 1
    with pytest.raises(
        ValidationError,
        match=r"hal.annotator has DATE \(.*b.annotator does not\).*every label first",
    ):
        team.merge_projects(tmp_path / "m2.annotator", [pair[1], hal])
    with pytest.raises(
        ValidationError, match="--map NOPE=LOC: no project after .* has a label NOPE"
    ):
        team.merge_projects(tmp_path / "m3.annotator", [pair[0], pair[1]], {"NOPE": "LOC"})


def test_a_split_that_cannot_serve_says_why(tmp_path) -> None:
    """An overlap that rounds to no document, annotators left with nothing, and a base
    already done (agreement 1.000 before anyone worked) were split without a word."""
    base = _make(
        tmp_path / "base.annotator",
        None,
        {
            **{f"Texte numéro {n} .": ("new", [], []) for n in range(2)},
            "Un texte fini .": ("done", [(0, 2, "MISC")], []),
        },
    )
    report = team.split_project(base, ["a", "b", "c", "d"], overlap=0.1, seed=1)
    assert report.notes == [
        "no document goes to everyone (10% of 3 documents): agreement will have nothing to "
        "compare; raise --overlap",
        "d gets no document (3 documents for 4 annotators)",
        "1 document already done or skipped in the base: every annotator gets those "
        "decisions, so agreement there measures the base, not the annotators",
    ]
