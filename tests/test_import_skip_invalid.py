"""Reader options: `--skip-invalid` leaves a bad region out and lists it; `--text-key`."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import FormatError
from annotator.services.importing import import_sources
from annotator.store import Project


def test_a_region_past_the_text_refuses_the_import_by_default(
    project: Project, fixtures_dir: Path
) -> None:
    source = fixtures_dir / "labelstudio" / "kiji-proxy" / "sample_predictions.json"
    with pytest.raises(FormatError, match=r"\(task 1\): region ent-5: offsets 68-90 run past"):
        import_sources(project, [source])
    assert project.count_documents() == 0


def test_skip_invalid_leaves_the_region_out_and_lists_it(
    project: Project, fixtures_dir: Path
) -> None:
    source = fixtures_dir / "labelstudio" / "kiji-proxy" / "sample_predictions.json"
    report = import_sources(project, [source], skip_invalid=True)
    assert report.documents == 1
    document = project.document(project.document_ids()[0], tokens=False)
    skipped = document.meta["labelstudio"]["skipped_regions"]
    assert [region["id"] for region in skipped] == ["ent-5"]
    [note] = [note for note in report.notes if "invalid regions left out" in note]
    assert note.startswith(f"{source}: ") and "(1 record: " in note
    assert all(span.end <= len(document.text) for span in project.spans(document.id))


def test_text_key_names_the_field_when_a_task_has_several(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "tasks.json"
    source.write_text(
        '[{"data": {"title": "Acme", "body": "Acme hires Alice."}, "annotations": []}]',
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="cannot tell which data key.*--text-key"):
        import_sources(project, [source], format="labelstudio")
    import_sources(project, [source], format="labelstudio", text_key="body")
    assert project.document(project.document_ids()[0], tokens=False).text == "Acme hires Alice."


def test_skip_invalid_says_in_the_report_which_doccano_lines_lost_entities(
    project: Project, tmp_path: Path
) -> None:
    """The entities were left out and kept in the meta, but the report said nothing."""
    source = tmp_path / "d.jsonl"
    source.write_text(
        '{"text": "Alice in Paris", "entities": [[0, 5, "PER"], [9, 40, "LOC"]]}\n'
        '{"text": "Bob in Lyon", "entities": [[0, 3, "PER"]]}\n'
        '{"text": "Eve in Nice", "entities": [[7, 99, "LOC"]]}\n',
        encoding="utf-8",
    )
    report = import_sources(project, [source], format="doccano", skip_invalid=True)
    assert report.documents == 3
    [note] = [note for note in report.notes if "invalid entities left out" in note]
    assert note.startswith(f"{source}: ") and "(2 records: lines 1, 3)" in note
