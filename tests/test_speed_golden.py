"""The fast import and export paths give the same project and the same bytes as before.

The golden files were written by the code before those paths changed (``python
tests/test_speed_golden.py`` writes them again; only do that for an intended change of
output). Span and relation ids are numbered in order of appearance (``normalized``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from speed_corpus import EXPORTS, GOLDEN, build, export_all, normalized

from annotator.model.document import offsets_json
from annotator.services import importing
from annotator.services.tokenizing import ensure_tokens


def _golden_name(key: str) -> str:
    return key.replace("/", "__")


def _exports(folder: Path, json_tokens: bool = False) -> dict[str, bytes]:
    project = build(folder)
    try:
        if json_tokens:  # as an earlier version stored them
            ensure_tokens(project)
            stored = project.db.execute("SELECT doc_id, offsets FROM tokens").fetchall()
            assert stored and all(isinstance(offsets, bytes) for _, offsets in stored)
            project.db.conn.executemany(
                "UPDATE tokens SET offsets = ? WHERE doc_id = ?",
                [(offsets_json(offsets), doc_id) for doc_id, offsets in stored],
            )
            project.db.conn.commit()
        return {key: normalized(data) for key, data in export_all(project, folder / "out").items()}
    finally:
        project.close()


@pytest.fixture(
    scope="module", params=["read here", "read in a second process", "tokens stored as JSON"]
)
def exports(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """Every export of the corpus, imported with its records read in this process, then in
    the reading process (``importing.READ_APART_FROM``, by size, chooses for real files);
    then with the tokens stored as JSON text, as an earlier version did (every reader takes
    both)."""
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "read in a second process":
            patch.setattr(importing, "READ_APART_FROM", 0)
            patch.setattr(importing, "usable_cores", lambda: 2)
        folder = tmp_path_factory.mktemp("golden")
        return _exports(folder, json_tokens=request.param == "tokens stored as JSON")


def test_every_export_is_written(exports: dict[str, bytes]) -> None:
    written = {key.split("/")[0] for key in exports}
    assert written == set(EXPORTS)
    assert sorted(_golden_name(key) for key in exports) == sorted(
        path.name for path in GOLDEN.iterdir()
    )


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.iterdir()))
def test_export_matches_the_bytes_written_before(exports: dict[str, bytes], name: str) -> None:
    by_golden_name = {_golden_name(key): data for key, data in exports.items()}
    assert by_golden_name[name] == (GOLDEN / name).read_bytes()


def test_import_keeps_misaligned_overlapping_and_related_spans(tmp_path: Path) -> None:
    project = build(tmp_path)
    try:
        assert project.count_documents() == 8
        assert ensure_tokens(project) == 4  # doccano brings no tokens: made on first need
        assert len(project.misaligned_span_ids()) == 15
        spans = project.spans(1)
        assert [(s.start, s.end, s.label) for s in spans][:3] == [
            (0, 4, "PER"),
            (0, 10, "PER"),
            (2, 8, "MISC"),
        ]
        assert sorted(r.label for r in project.relations(1)) == ["located_in", "works_for"]
        assert project.tokens(1)[:3] == ((0, 4), (5, 10), (10, 11))
    finally:
        project.close()


if __name__ == "__main__":  # write the golden files from the code as it is
    with tempfile.TemporaryDirectory() as folder:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.iterdir():
            old.unlink()
        for key, data in _exports(Path(folder)).items():
            (GOLDEN / _golden_name(key)).write_bytes(data)
