"""Plain-text reader and the project tokenizer: encodings, line ends, folders, splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import AnnotatorError, FormatError
from annotator.io import tokenize
from annotator.io.text import read_text, sniff_text

ARTICLE = "Brad Smith, président de Microsoft, parle.\n\nIl a déjà vu la Chine. Et l'Inde !\n"


def records(path: Path, **options):
    return list(read_text(path, **options))


def test_one_file_is_one_document_with_its_name_in_meta(tmp_path: Path) -> None:
    file = tmp_path / "article.txt"
    file.write_text(ARTICLE, encoding="utf-8")
    [record] = records(file)
    assert record.text == ARTICLE
    assert record.meta == {"file": "article.txt"}
    assert record.tokens is None and record.spans == []


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    file = tmp_path / "bom.txt"
    file.write_bytes(b"\xef\xbb\xbf" + "Déjà vu".encode())
    [record] = records(file)
    assert record.text == "Déjà vu"
    assert record.meta["bom"] is True


def test_crlf_and_lone_cr_become_lf(tmp_path: Path) -> None:
    file = tmp_path / "windows.txt"
    file.write_bytes(b"one\r\ntwo\rthree\r\n")
    [record] = records(file)
    assert record.text == "one\ntwo\nthree\n"
    assert record.meta["line_endings"] == "crlf"


def test_latin1_french_is_detected_and_named(tmp_path: Path) -> None:
    file = tmp_path / "latin.txt"
    file.write_bytes(ARTICLE.replace("\n", " ").encode("cp1252") * 3)
    [record] = records(file)
    assert record.text == ARTICLE.replace("\n", " ") * 3
    assert record.meta["encoding"] == "cp1252"


def test_binary_file_is_refused_naming_it(tmp_path: Path) -> None:
    file = tmp_path / "image.txt"
    file.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FormatError) as error:
        records(file)
    assert str(error.value) == f"{file}: not text: a binary file (NUL bytes)"


def test_folder_is_read_recursively_in_order_skipping_hidden_and_other_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "2.txt").write_text("second", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "c.TXT").write_text("third", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not text", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("hidden", encoding="utf-8")
    found = records(tmp_path)
    assert [(r.meta["file"], r.text) for r in found] == [
        ("a.txt", "first"),
        ("b/2.txt", "second"),
        ("c.TXT", "third"),
    ]


def test_split_paragraph_keeps_offsets_into_the_file(tmp_path: Path) -> None:
    file = tmp_path / "a.txt"
    text = "  First paragraph.\nSame one.\n \n\nSecond one.  \n\n\n"
    file.write_text(text, encoding="utf-8")
    found = records(file, split="paragraph")
    assert [r.text for r in found] == ["First paragraph.\nSame one.", "Second one."]
    for record in found:
        offset = record.meta["offset"]
        assert text[offset : offset + len(record.text)] == record.text
    assert [r.meta["paragraph"] for r in found] == [1, 2]
    assert found[1].where == "paragraph 2"


def test_split_sentence_numbers_sentences_across_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    found = records(tmp_path, split="sentence")
    assert [r.text for r in found] == [
        "Brad Smith, président de Microsoft, parle.",
        "Il a déjà vu la Chine.",
        "Et l'Inde !",
    ]
    assert [(r.meta["paragraph"], r.meta["sentence"]) for r in found] == [(1, 1), (2, 2), (2, 3)]
    assert found[2].where == "a.txt, paragraph 2, sentence 3"
    for record in found:
        assert ARTICLE[record.meta["offset"] :].startswith(record.text)


def test_unknown_split_and_missing_path_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FormatError, match="unknown split 'line'"):
        records(tmp_path, split="line")
    with pytest.raises(FormatError, match="no such file or folder"):
        records(tmp_path / "missing")


def test_sniff_leaves_brat_pairs_to_brat(tmp_path: Path) -> None:
    text = tmp_path / "doc.txt"
    text.write_text("x", encoding="utf-8")
    assert sniff_text(text, b"x")
    assert sniff_text(tmp_path, b"")
    text.with_suffix(".ann").write_text("", encoding="utf-8")
    assert not sniff_text(text, b"x")
    assert not sniff_text(tmp_path, b"")


def test_tokenize_gives_offsets_of_spacy_tokens_in_order() -> None:
    texts = ["L'équipe de Microsoft.", "Deux  espaces\n\nici"]
    for text, tokens in zip(texts, tokenize.tokenize("fr", texts), strict=True):
        assert tokens
        assert all(start < end for start, end in tokens)
        assert "".join(text[start:end] for start, end in tokens).replace(" ", "") == text.replace(
            " ", ""
        )
    [tokens] = tokenize.tokenize("fr", ["L'équipe"])
    assert tokens == ((0, 2), (2, 8))


def test_unknown_language_is_one_clear_error() -> None:
    with pytest.raises(AnnotatorError, match="spaCy has no language 'xx-nope'"):
        tokenize.check_language("xx-nope")


def test_tokenizer_is_renewed_when_its_vocabulary_grows_too_big(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = tokenize.blank("fr")
    monkeypatch.setattr(tokenize, "MAX_LEXEMES", len(first.vocab) - 1)
    [tokens] = tokenize.tokenize("fr", ["Une phrase neuve."])
    assert tokens == ((0, 3), (4, 10), (11, 16), (16, 17))
    assert tokenize.blank("fr") is not first


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    """It was 'a binary file (NUL bytes)', which gave no clue what to do."""
    file = tmp_path / "article.txt"
    file.write_bytes("Brad Smith visite Rennes à midi.\n".encode(encoding))
    with pytest.raises(FormatError) as error:
        records(file)
    assert str(error.value) == (
        f"{file}: not text: NUL bytes every other byte, as in UTF-16 without a byte-order "
        "mark; save it as UTF-8"
    )
