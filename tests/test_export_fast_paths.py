"""The export's fast paths give the bytes of the paths they replace.

Documents whose stored tokens are plain (``PlainTokens``: one space or none between tokens) are
written by the CoNLL and Prodigy writers from arrays, without a spaCy Doc; the spaCy writer
streams its DocBin through temporary files. Each is compared with the path it replaces, on
documents with misaligned, overlapping and repeated spans, relations, sentence ends, tokens
with no space between them, and documents that are not plain.
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import tracemalloc
from operator import itemgetter
from pathlib import Path

import pytest
from spacy.tokens import Doc, DocBin
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans
from spacy.vocab import Vocab
from speed_corpus import build

from annotator.io import alignment, conll
from annotator.io.alignment import DocBuilder, PlainTokens
from annotator.io.conll import _filter_spans
from annotator.io.docbin_writer import StreamedDocBin, ensure_rel_extension
from annotator.io.records import SpanColumns, SpanPlace
from annotator.io.tokenize import tokenize
from annotator.model import Document
from annotator.model.document import decode_offsets
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.services.tokenizing import ensure_tokens
from annotator.store import Project

TEXTS = [
    "L'entreprise Airbus a publié ses résultats. Marie Curie confirme ! Paris , Lyon ? Fin.",
    "Selon Reuters, Brad Smith dirige Microsoft à Redmond... Puis ? Rien. Jean Dupont part.",
    "Deux  espaces et\nune ligne : pas des tokens simples. Paris.",  # not plain: the Doc path
    'Il a dit "oui" à Paris. Danone aussi.',  # plain, but its tokens' JSON needs escaping
]


def _doccano_line(number: int, text: str) -> dict:
    """Every capitalised word an entity, some shifted off token boundaries, some repeated
    or overlapping, and relations between them."""
    entities = []
    position = 0
    for word in text.split(" "):
        if word[:1].isupper() and word[1:].isalpha():
            start, end = position, position + len(word)
            shifted = len(entities) % 4 == 1
            entities.append({"start_offset": start + shifted, "end_offset": end, "label": "ORG"})
            if len(entities) % 3 == 0:  # overlapping: the word and the next character
                entities.append({"start_offset": start, "end_offset": end + 2, "label": "LOC"})
        position += len(word) + 1
    for index, entity in enumerate(entities, start=1):
        entity["id"] = index
    relations = [
        {"id": n, "from_id": n, "to_id": n + 1, "type": "works_for"}
        for n in range(1, len(entities), 2)
    ]
    return {"id": number, "text": text, "entities": entities, "relations": relations}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fast")
    project = build(folder)
    source = folder / "more.jsonl"
    source.write_text(
        "".join(
            json.dumps(_doccano_line(n, text), ensure_ascii=False) + "\n"
            for n, text in enumerate(TEXTS)
        ),
        encoding="utf-8",
    )
    import_sources(project, [source], format="doccano")
    ensure_tokens(project)  # an import leaves them for later; these tests read them
    project.close()
    return folder / "golden.annotator"


def _export(path: Path, output: Path, format: str, misaligned: str) -> tuple[bytes, tuple]:
    with Project.open(path, read_only=True) as project:
        report = export_project(
            project, format, output, status="all", spans="all", misaligned=misaligned
        )
    return output.read_bytes(), (report.counts, report.warnings, report.spans, report.relations)


@pytest.mark.parametrize("format", ["conll", "conll-biluo", "prodigy"])
@pytest.mark.parametrize("misaligned", ["expand", "contract", "skip"])
def test_plain_tokens_write_what_the_doc_path_writes(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, format: str, misaligned: str
) -> None:
    fast = _export(corpus, tmp_path / "fast", format, misaligned)
    monkeypatch.setattr(PlainTokens, "of", classmethod(lambda cls, document: None))
    monkeypatch.setattr(conll, "_plain_run", lambda run, writer: None)  # CoNLL's batches
    slow = _export(corpus, tmp_path / "slow", format, misaligned)
    assert fast[0].decode() == slow[0].decode()
    assert fast[1] == slow[1]


def test_most_documents_of_the_corpus_are_plain(corpus: Path) -> None:
    with Project.open(corpus, read_only=True) as project:
        documents = list(project.documents())
    plain = [document.text for document in documents if PlainTokens.of(document) is not None]
    assert TEXTS[0] in plain and TEXTS[3] in plain
    assert TEXTS[2] not in plain
    assert len(plain) >= len(documents) - 2


def test_char_span_on_plain_tokens_is_spacys_for_every_offset_pair() -> None:
    text = TEXTS[0]
    tokens = next(iter(tokenize("fr", [text])))
    plain = PlainTokens.of(Document(text=text, tokens=tokens))
    assert plain is not None
    doc = DocBuilder("fr").make(Document(text=text, tokens=tokens))
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            for mode in ("strict", "expand", "contract"):
                span = doc.char_span(start, end, alignment_mode=mode)
                expected = None if span is None else (span.start, span.end)
                assert plain.char_span(start, end, mode) == expected, (start, end, mode)


def _docs(count: int, words: int, vocabulary: int = 0) -> list[Doc]:
    """``count`` Docs of ``words`` words, from a vocabulary of ``vocabulary`` words (0: each
    Doc has its own words)."""
    ensure_rel_extension()
    vocab = Vocab()
    docs = []
    for number in range(count):
        names = [
            f"mot{number}-{i}" if not vocabulary else f"mot{i % vocabulary}" for i in range(words)
        ]
        doc = Doc(vocab, words=names)
        doc.spans["sc"] = [doc[0:2]]
        doc.cats = {"A": float(number % 2)}
        doc._.rel = {(0, 1): {"works_for": 1.0}}
        docs.append(doc)
    return docs


@pytest.mark.parametrize(("count", "words"), [(0, 0), (1, 3), (3, 1000)])  # 1000: >64 KiB
def test_streamed_docbin_writes_the_bytes_of_docbin(tmp_path: Path, count: int, words: int) -> None:
    _same_bytes_as_docbin(_docs(count, words), tmp_path / "streamed.spacy")


def _same_bytes_as_docbin(docs: list[Doc], path: Path) -> None:
    """``StreamedDocBin`` writes to ``path`` the bytes of spaCy's own ``DocBin``."""
    streamed = StreamedDocBin(path.parent)
    for doc in docs:
        streamed.add(doc)
    streamed.to_disk(path)
    streamed.close()
    assert path.read_bytes() == DocBin(docs=docs, store_user_data=True).to_bytes()


def _rich_docs() -> list[Doc]:
    """Docs with what ``DocBin.add`` reads set: tags, lemmas, morphology, dependencies, entities
    with knowledge-base ids, span groups under two keys, one group kept under two keys, a group
    with attributes, spans with ids; a Doc with no span group at all, and one whose word is
    ``_``, spaCy's empty morphology."""
    ensure_rel_extension()
    vocab = Vocab()
    words = ["Marie", "Curie", "travaille", "à", "Paris", "."]
    docs = []
    for number in range(3):
        doc = Doc(
            vocab,
            words=words,
            spaces=[True, True, True, True, False, False],
            tags=["PROPN", "PROPN", "VERB", "ADP", "PROPN", "PUNCT"],
            lemmas=["Marie", "Curie", "travailler", "à", "Paris", "."],
            morphs=["", "", "Mood=Ind|Tense=Pres", "", "", ""],
            heads=[1, 2, 2, 4, 2, 2],
            deps=["flat", "nsubj", "ROOT", "case", "obl", "punct"],
            ents=["B-PER", "I-PER", "O", "O", "B-LOC", "O"],
        )
        if number == 2:
            docs.append(doc)  # no span group
            continue
        doc.ents = [SpacySpan(doc, 0, 2, "PER", kb_id="Q7186"), doc.ents[1]]
        doc.spans["sc"] = [SpacySpan(doc, 0, 2, "PER", span_id="s1"), doc[4:5]]
        doc.spans["sc"].attrs["source"] = f"export {number}"
        doc.spans["other"] = [SpacySpan(doc, 2, 5, "MISC", kb_id="Q1")]
        doc.spans["same"] = doc.spans["other"]  # one group, two keys
        doc.cats = {"news": 1.0}
        doc.user_data["note"] = number
        doc._.rel = {(0, 4): {"works_for": 1.0}}
        docs.append(doc)
    docs.append(Doc(vocab, words=["_", "tiret"], morphs=["_", "Number=Sing"]))  # "_" a word
    return docs


@pytest.mark.parametrize("count", [3, 4])  # without, then with, the word "_"
def test_streamed_docbin_writes_the_bytes_of_docbin_for_every_field(
    tmp_path: Path, count: int
) -> None:
    _same_bytes_as_docbin(_rich_docs()[:count], tmp_path / "streamed.spacy")
    back = list(DocBin().from_disk(tmp_path / "streamed.spacy").get_docs(Vocab()))
    assert set(back[0].spans) == {"sc", "other", "same"}
    assert back[0].spans["sc"].attrs == {"source": "export 0"}
    assert back[0].ents[0].kb_id_ == "Q7186"


def test_streamed_docbin_does_not_hold_the_docs_it_was_given(tmp_path: Path) -> None:
    docs = _docs(40, 2000, vocabulary=100)  # about 6 MB of arrays in a DocBin; few strings

    def held(doc_bin: DocBin) -> int:
        # the first add outside the count: it imports, once a process, what the writer needs
        # (half a megabyte of code objects: the test failed when it ran alone)
        doc_bin.add(docs[0])
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for doc in docs[1:]:
            doc_bin.add(doc)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return after - before

    streamed = StreamedDocBin(tmp_path)
    in_memory = held(DocBin(store_user_data=True))
    assert held(streamed) < in_memory / 10
    streamed.close()


def test_the_plain_path_is_not_taken_for_tokens_with_whitespace() -> None:
    text = "a  b"
    assert PlainTokens.of(Document(text=text, tokens=((0, 1), (1, 2), (3, 4)))) is None
    assert PlainTokens.of(Document(text="a\tb", tokens=((0, 1), (2, 3)))) is None
    assert PlainTokens.of(Document(text="a b", tokens=((0, 1), (2, 3)))) is not None
    assert alignment.PlainTokens is PlainTokens


def test_export_rows_hold_what_the_per_document_reads_give(corpus: Path) -> None:
    with Project.open(corpus, read_only=True) as project:
        ids = list(reversed(project.document_ids()))
        rows = list(project.export_rows(ids, tokens=True, edit_log=False))
        assert [row[0] for row, *_ in rows] == ids
        for (row, offsets, spans, relations, log), doc_id in zip(rows, ids, strict=True):
            document = project.document(doc_id)
            assert (row[1], json.loads(row[2]), row[3]) == (
                document.text,
                document.meta,
                document.status,
            )
            assert decode_offsets(offsets) == document.tokens
            assert [span[0] for span in spans] == [span.id for span in project.spans(doc_id)]
            assert [r[0] for r in relations] == [r.id for r in project.relations(doc_id)]
            assert log == []
        with_log = next(project.export_rows(ids[-1:], tokens=False, edit_log=True))
        assert with_log[1] is None
        assert with_log[4] == project.edit_log(ids[-1])


def test_export_rows_without_span_details_leave_only_those_out(corpus: Path) -> None:
    with Project.open(corpus, read_only=True) as project:
        ids = project.document_ids()
        full = list(project.export_rows(ids, tokens=False, edit_log=False))
        essential = list(project.export_rows(ids, False, False, span_fields="essentials"))
        places = list(project.export_rows(ids, False, False, span_fields="places"))
    kept = itemgetter(0, 1, 2, 3, 4, 6, 7)  # id, doc_id, start, end, label, status, score
    placed = itemgetter(0, 1, 2, 3, 4)  # id, doc_id, start, end, label
    for (*_, spans, _, _), (*_, light, _, _), (*_, joined, _, _) in zip(
        full, essential, places, strict=True
    ):
        assert [kept(span) for span in spans] == [tuple(span) for span in light]
        lightest = SpanColumns.joined(joined) if joined is not None else []
        assert [placed(span) for span in spans] == [tuple(span) for span in lightest]
    assert sum(len(spans) for *_, spans, _, _ in full) > 50
    assert any(len({span[2] for span in spans}) < len(spans) for *_, spans, _, _ in full)


def test_span_columns_split_what_sqlite_joined_in_span_order() -> None:
    row = (7, 3, "c a b", "5,0,0", "9,4,4", "ORG PER LOC")
    columns = SpanColumns.joined(row)
    assert columns is not None and len(columns) == 3
    assert columns.columns() == (["b", "a", "c"], [0, 0, 5], [4, 4, 9], ["LOC", "PER", "ORG"])
    assert list(columns) == [
        SpanPlace("b", 7, 0, 4, "LOC"),
        SpanPlace("a", 7, 0, 4, "PER"),
        SpanPlace("c", 7, 5, 9, "ORG"),
    ]
    assert columns[-1] == SpanPlace("c", 7, 5, 9, "ORG")
    assert [span.id for span in columns.stored_records()] == ["c", "a", "b"]
    assert columns.ids() == ["c", "a", "b"]


@pytest.mark.parametrize(
    "row",
    [
        (1, 2, "a b c", "0,5", "4,9", "PER ORG"),  # an id holding a space
        (1, 2, "a b", "0,x", "4,9", "PER ORG"),  # a start stored as text
        (1, 2, "a b", "0,5.0", "4,9", "PER ORG"),  # ... as a real
        (1, 2, "a b", "0,-5", "4,9", "PER ORG"),
        (1, 2, "a b", "0,,5", "4,9", "PER ORG"),
        (1, 1, "a", "", "4", "PER"),
    ],
)
def test_span_columns_refuse_values_they_cannot_split(row: tuple) -> None:
    assert SpanColumns.joined(row) is None


def test_span_columns_of_a_group_know_their_order_and_overlaps() -> None:
    rows = [
        (1, 3, "a b c", "0,5,9", "4,9,12", "PER ORG LOC"),  # in order, touching only
        (2, 2, "d e", "0,2", "4,6", "PER PER"),  # in order, overlapping
        None,  # no spans
        (4, 2, "f g", "3,3", "7,5", "LOC PER"),  # two at one start: not known in order
        (5, 2, "h i", "8,1", "9,2", "LOC PER"),  # by start backwards
        (6, 2, "j k l", "0,5", "4,9", "PER ORG"),  # an id holding a space: read as rows
    ]
    first, second, none, tied, backwards, spaced = SpanColumns.group(rows)
    assert none is None and spaced is None
    assert (first.ordered, first.overlapping) == (True, False)
    assert first.text_columns() == (["a", "b", "c"], ["0", "5", "9"], ["4", "9", "12"],
                                    ["PER", "ORG", "LOC"])  # fmt: skip
    assert (second.ordered, second.overlapping) == (True, True)
    for unordered in (tied, backwards):
        assert not unordered.ordered and unordered.text_columns() is None
    assert tied.columns() == (["g", "f"], [3, 3], [5, 7], ["PER", "LOC"])
    assert backwards.columns() == (["i", "h"], [1, 8], [2, 9], ["PER", "LOC"])


@pytest.mark.parametrize("read", [False, True])
def test_span_columns_of_a_group_are_freed_without_the_garbage_collector(read: bool) -> None:
    """An export pauses the collector: columns and their group referring to each other were
    kept to its end, 600 MB for a CoNLL export of 100,000 documents, which reads none."""
    rows = [(n, 2, f"a{n} b{n}", "0,5", "4,9", "PER ORG") for n in range(500)]
    gc.collect()
    gc.disable()
    try:
        made = SpanColumns.group(rows)
        if read:  # as doccano: the numbers read, each document's order known
            assert all(columns.ordered for columns in made)
        del made
        assert gc.collect() == 0  # nothing was left for the collector: refcounts freed all
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "starts",
    [
        "0,05",  # a leading zero (a crafted file's text): 5 is written, not the stored text
        "0",  # one start skipped (NULL): one too few
    ],
)
def test_span_columns_of_a_group_take_odd_numbers_one_by_one(starts: str) -> None:
    """Numbers the group cannot read as their text says: each row is taken by ``joined``,
    which refuses it or reads it as Python numbers, never as text."""
    rows = [(1, 2, "a b", starts, "4,9", "PER ORG"), (2, 1, "c", "1", "3", "LOC")]
    made = SpanColumns.group(rows)
    assert all(columns is None or columns.text_columns() is None for columns in made)
    assert made[1] is not None and made[1].columns() == (["c"], [1], [3], ["LOC"])
    if made[0] is not None:
        assert made[0].columns()[1] == [0, int(starts.split(",")[1])]


@pytest.mark.parametrize("null_id", [False, True])
@pytest.mark.parametrize("format", ["doccano", "conll", "brat"])
def test_a_span_id_holding_a_space_is_exported_as_any_other(
    corpus: Path, tmp_path: Path, format: str, null_id: bool
) -> None:
    """Ids from a crafted file may hold the space that joins them: such a document's spans are
    read as rows, and written as before (these formats do not write span ids). With another
    span's id NULL as well, which ``group_concat`` skipped, the counts matched again and the
    ids slid past the offsets: the relation was written between two other spans."""
    output = tmp_path / "before"
    before = _written(corpus, output, format)
    copy = tmp_path / "copy.annotator"
    shutil.copyfile(corpus, copy)
    with Project.open(copy) as project:
        # a document with a relation and a span in none
        every = project.document_ids()
        ends = {doc_id: {r.head for r in project.relations(doc_id)} for doc_id in every}
        ends = {k: v | {r.child for r in project.relations(k)} for k, v in ends.items() if v}
        doc_id, alone = next(
            (doc_id, span)
            for doc_id in ends
            for span in project.spans(doc_id)
            if span.id not in ends[doc_id]
        )
        relation = project.relations(doc_id)[0]
        renamed = [(relation.head, "head id"), (relation.child, "child id")]
        if null_id:  # one space more, one id fewer: as many spaces as before
            project.db.execute("UPDATE spans SET id = NULL WHERE id = ?", [alone.id])
            renamed = renamed[:1]
        for old, new in renamed:
            project.db.execute("UPDATE spans SET id = ? WHERE id = ?", [new, old])
            project.db.execute("UPDATE relations SET head = ? WHERE head = ?", [new, old])
            project.db.execute("UPDATE relations SET child = ? WHERE child = ?", [new, old])
        project.db.commit()
    assert _written(copy, tmp_path / "after", format) == before


def _written(path: Path, output: Path, format: str) -> tuple:
    with Project.open(path, read_only=True) as project:
        report = export_project(project, format, output, status="all", spans="all")
    files = sorted(output.rglob("*")) if output.is_dir() else [output]
    data = [
        (str(file.relative_to(output)), file.read_bytes())
        for file in files
        if file.is_file() and not file.name.startswith(".")
    ]
    warnings = [warning.replace(str(path), "PROJECT") for warning in report.warnings]
    return data, report.counts, warnings, report.spans, report.relations


def test_export_rows_of_some_statuses_leave_the_others_out(corpus: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.annotator"
    shutil.copyfile(corpus, copy)
    with Project.open(copy) as project:
        ids = project.document_ids()
        spans = project.spans(ids[0])
        for span, status in zip(spans, ("rejected", "suggested"), strict=False):
            project.replace_span(span, span.model_copy(update={"status": status}))
        full = list(project.export_rows(ids, tokens=False, edit_log=False))
        accepted = list(project.export_rows(ids, False, False, statuses=["accepted"]))
        none = list(project.export_rows(ids, False, False, statuses=[]))
    status_of = {span[0]: span[6] for *_, rows, _, _ in full for span in rows}
    assert {status_of[spans[0].id], status_of[spans[1].id]} == {"rejected", "suggested"}
    for (row, _, all_spans, relations, _), (same, _, kept, kept_relations, _) in zip(
        full, accepted, strict=True
    ):
        assert same == row
        assert kept == [span for span in all_spans if span[6] == "accepted"]
        assert kept_relations == [r for r in relations if r[6] == "accepted"]
    assert [row for row, *_ in none] == [row for row, *_ in full]
    assert all(not spans and not relations for _, _, spans, relations, _ in none)


@pytest.mark.parametrize("seed", range(20))
def test_filter_spans_on_token_indexes_is_spacys(seed: int) -> None:
    rng = random.Random(seed)
    doc = Doc(Vocab(), words=["w"] * 30)
    triples = []
    for _ in range(rng.randrange(1, 12)):
        first = rng.randrange(29)
        end = first + rng.randrange(1, 4 if seed % 2 else 2)  # even seeds: short, few overlap
        triples.append((first, min(end, 30), rng.choice(["PER", "ORG"])))
    expected = filter_spans([doc.char_span(2 * f, 2 * e - 1, label=lab) for f, e, lab in triples])
    assert _filter_spans(triples) == [(s.start, s.end, s.label_) for s in expected]


def test_doccano_writes_each_meta_as_json_dumps_does(tmp_path: Path) -> None:
    """Each line's meta is ``json.dumps`` of the stored meta (ASCII only), whatever its stored
    text: escaped accents and DEL, none for an empty one, one line for a meta stored with
    line breaks, compact (as a merge writes it), spaced, or as a BLOB (crafted). Writing
    the stored text as it was when it looked like JSON broke a line in two, changed a merged
    project's bytes and stopped on a BLOB (a new-user run)."""
    metas = [{"source": "journal"}, {"source": "Le Temps é"}, {"note": "a\x7fb"}, {}, {"n": 1.5}]
    stored = [
        None,
        None,
        None,
        None,
        None,
        '{"a":\n 1}\r\n',
        '{"a":1}',
        '{ "a" : [1,2] }',
        b'{"a": 1}',
    ]
    source = tmp_path / "in.jsonl"
    lines = [{"text": f"Texte {n} à Paris.", "meta": {"n": n}} for n in range(len(stored))]
    for line, meta in zip(lines, metas, strict=False):
        line["meta"] = meta
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        import_sources(project, [source], format="doccano")
        for doc_id, text in enumerate(stored, start=1):
            if text is not None:
                project.db.execute("UPDATE documents SET meta = ? WHERE id = ?", [text, doc_id])
    (written,) = _written(path, tmp_path / "out.jsonl", "doccano")[0]
    out = written[1].decode("ascii").split("\n")
    assert out.pop() == "" and len(out) == len(stored)
    expected = [*metas, {"a": 1}, {"a": 1}, {"a": [1, 2]}, {"a": 1}]
    for line, meta in zip(out, expected, strict=True):
        assert line.endswith(f', "meta": {json.dumps(meta)}}}' if meta else '"relations": []}')
