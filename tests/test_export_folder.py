"""Folder exports (spacy, brat, any split): the new folder is swapped in whole, the folder may
hold only files our exports wrote, and what a stopped export left is cleaned up next time."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from export_corpus import add_annotated

from annotator.errors import ExportError
from annotator.model import Document
from annotator.services.export_output import MANIFEST
from annotator.services.exporting import export_project
from annotator.services.importing import import_sources
from annotator.store import Project


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _hidden_beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith("."))


def test_a_dropped_split_does_not_linger(project: Project, tmp_path: Path) -> None:
    for number in range(10):
        add_annotated(project, number)
    out = tmp_path / "out"
    export_project(project, "spacy", out, split=(0.6, 0.2, 0.2))
    report = export_project(project, "spacy", out)
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "dev.spacy", "train.spacy"]
    removed = [warning for warning in report.warnings if "removed" in warning]
    assert removed == [f"{out / 'test.spacy'}: removed, left by an earlier export to {out}"]
    assert _hidden_beside(out) == []


def test_a_folder_holding_a_users_file_is_refused_and_left_as_it_was(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    project.db.execute(
        "UPDATE documents SET meta = ? WHERE id = 1", ['{"source": "sub/deeper/doc.txt"}']
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "doc.txt").write_text("the user's own text")
    with pytest.raises(
        ExportError, match=r"out: holds files that no export of ours wrote.*doc\.txt"
    ):
        export_project(project, "brat", out)
    assert _tree(out) == {"doc.txt": b"the user's own text"}
    assert _hidden_beside(out) == []


def test_a_brat_file_edited_since_the_export_is_not_replaced(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    ann = next(out.glob("*.ann"))
    ann.write_text(ann.read_text() + "T99\tPER 0 4\tBrad\n")  # annotated further in brat
    edited = _tree(out)
    with pytest.raises(ExportError, match=r"\.ann \(changed since\)"):
        export_project(project, "brat", out)
    assert _tree(out) == edited


def test_an_export_over_its_last_one_reads_each_old_file_once(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before writing and again before the swap, each old file is hashed once: twice,
    a brat export of 10,000 documents over its last one read 20,000 files twice (+1.2 s)."""
    add_annotated(project, 1)
    add_annotated(project, 2)
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    old = sorted(set(_tree(out)) - {MANIFEST})
    hashed: list[Path] = []
    file_digest = hashlib.file_digest

    def counted(handle: BinaryIO, digest: str) -> Any:  # hashlib's own signature
        hashed.append(Path(handle.name))
        return file_digest(handle, digest)

    monkeypatch.setattr(hashlib, "file_digest", counted)
    export_project(project, "brat", out)
    # (the new .conf files, written as text, are hashed in the staging folder)
    assert sorted(path.name for path in hashed if path.parent == out) == old  # each once


def test_a_brat_file_edited_while_the_export_runs_is_not_replaced(
    project: Project, tmp_path: Path
) -> None:
    """The check before the swap sees an edit made after the first check."""
    add_annotated(project, 1)
    add_annotated(project, 2)
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    ann = next(out.glob("*.ann"))

    def edit_once(done: int, total: int) -> None:
        if done == 1:  # the old folder has been checked: the export is writing
            ann.write_text(ann.read_text() + "T99\tPER 0 4\tBrad\n")

    with pytest.raises(ExportError, match=r"\.ann \(changed since\)"):
        export_project(project, "brat", out, progress=edit_once)
    assert ann.read_text().endswith("T99\tPER 0 4\tBrad\n")
    assert _hidden_beside(out) == []


def test_the_manifest_holds_the_sha256_of_each_file_as_written(
    project: Project, tmp_path: Path
) -> None:
    """brat's files are hashed from the bytes in memory, not read back: the same digests."""
    add_annotated(project, 1)
    add_annotated(project, 2)
    out = tmp_path / "brat"
    report = export_project(project, "brat", out)
    listed = json.loads((out / MANIFEST).read_text())["files"]
    on_disk = {name: hashlib.sha256(data).hexdigest() for name, data in _tree(out).items()}
    del on_disk[MANIFEST]
    assert listed == on_disk
    assert len(listed) == 6  # two .txt/.ann pairs and the two .conf files
    assert sorted(report.digests) == sorted(
        str(out / name) for name in listed if "conf" not in name
    )


def test_a_crafted_manifest_cannot_reach_outside_the_folder(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(Path("..") / "outside")
    files = ["link/victim.txt", "../outside/victim.txt", str(outside / "victim.txt")]
    (out / MANIFEST).write_text(json.dumps({"files": files}))
    with pytest.raises(ExportError, match=r"link \(a link\)"):
        export_project(project, "spacy", out)
    assert (outside / "victim.txt").read_text() == "precious"
    (out / "link").unlink()
    export_project(project, "spacy", out)  # the manifest alone removes nothing outside
    assert (outside / "victim.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "dev.spacy", "train.spacy"]


def test_a_symlinked_output_folder_is_refused(project: Project, tmp_path: Path) -> None:
    add_annotated(project, 1)
    (tmp_path / "real").mkdir()
    (tmp_path / "out").symlink_to("real")
    with pytest.raises(ExportError, match="is a symbolic link"):
        export_project(project, "spacy", tmp_path / "out")


def _as_if_killed_between_the_renames(out: Path) -> None:
    """What a kill between 'old folder aside' and 'new folder in' leaves: no output folder, the
    old one aside, a full staging folder; plus a staging folder of the version before."""
    os.rename(out, out.with_name(".out.annotator-old-1a2b3c4d"))
    staged = out.with_name(".out.annotator-staging-x1y2z3") / "out"
    staged.mkdir(parents=True)
    (staged / "train.spacy").write_bytes(b"half")
    legacy = out.with_name(".out.k3j4h5g6") / "out"
    legacy.mkdir(parents=True)
    (legacy / "dev.spacy").write_bytes(b"half")


def test_the_next_export_puts_back_a_folder_set_aside_by_a_killed_export(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1, status="in_progress")
    out = tmp_path / "out"
    export_project(project, "spacy", out, status="all")
    before = _tree(out)
    _as_if_killed_between_the_renames(out)
    with pytest.raises(ExportError, match="nothing to export"):  # fails after the clean-up
        export_project(project, "spacy", out)
    assert _tree(out) == before
    assert _hidden_beside(out) == []


def test_the_next_export_removes_what_a_killed_export_left(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    out = tmp_path / "out"
    export_project(project, "spacy", out)
    _as_if_killed_between_the_renames(out)
    report = export_project(project, "spacy", out, split=(1.0,))
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "train.spacy"]
    assert _hidden_beside(out) == []
    assert any("put back the previous export" in w for w in report.warnings)
    assert any("removed 2 hidden folders (2 files)" in w for w in report.warnings)


def test_a_brat_folder_keeps_only_the_documents_exported_last(
    project: Project, tmp_path: Path
) -> None:
    add_annotated(project, 1)
    second = add_annotated(project, 2)
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    first_files = sorted(p.name for p in out.iterdir())
    project.set_document_status(second["doc_id"], "in_progress")
    export_project(project, "brat", out)
    assert len(list(out.glob("*.ann"))) == 1
    assert len(first_files) > len(list(out.iterdir()))
    with Project.create(tmp_path / "back.annotator") as back:
        assert import_sources(back, [out]).documents == 1


def test_brat_names_are_short_and_unique(project: Project, tmp_path: Path) -> None:
    sources = ["a" * 300 + ".txt", "a" * 300 + "b.txt", "sub/deeper/Doc.txt", "doc.txt"]
    for number, source in enumerate(sources):
        project.add_document(
            Document(text=f"text {number}", meta={"source": source}, status="done")
        )
    out = tmp_path / "brat"
    export_project(project, "brat", out)
    stems = sorted(p.stem for p in out.glob("*.txt"))
    assert len(stems) == 4
    assert max(len(stem) for stem in stems) <= 100
    assert {"Doc", "doc-2"} <= set(stems)
    with Project.create(tmp_path / "back.annotator") as back:
        assert import_sources(back, [out]).documents == 4


def test_an_export_is_one_snapshot_while_another_window_edits(tmp_path: Path) -> None:
    path = tmp_path / "busy.annotator"
    with Project.create(path) as writer:
        for number in range(3):
            add_annotated(writer, number)
        with Project.open(path, read_only=True) as reader:

            def edit_elsewhere(done: int, _total: int) -> None:
                if done == 1:  # the window deletes document 3's relations, then its spans
                    with writer.transaction():
                        writer.db.execute("DELETE FROM relations WHERE doc_id = 3")
                        writer.db.execute("DELETE FROM spans WHERE doc_id = 3")

            report = export_project(
                reader, "annotator", tmp_path / "out.jsonl", progress=edit_elsewhere
            )
    assert (report.spans, report.relations) == (12, 6)
    assert report.warnings[-1:] == [
        f"{path} was opened read-only (asked, open in another window, or not writable), "
        "so this export is not in its edit log"
    ]


@pytest.mark.parametrize("format", ["doccano", "conll", "conll-biluo", "prodigy", "annotator"])
def test_a_one_file_export_lists_the_sha256_of_its_bytes(
    project: Project, tmp_path: Path, format: str
) -> None:
    """Writers that hash the bytes as they write them (doccano, CoNLL) give the digest of the
    file on disk, as those hashed after writing do."""
    for number in range(1, 4):
        add_annotated(project, number)
    out = tmp_path / "out.txt"
    report = export_project(project, format, out, status="all")
    listed = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert listed == {"out.txt": hashlib.sha256(out.read_bytes()).hexdigest()}
    assert report.digests.get(str(out), listed["out.txt"]) == listed["out.txt"]
