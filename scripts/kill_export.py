"""Kill -9 folder exports while they move into place, and count mixed folders (target: 0).

Not run in CI (minutes, and it kills processes). It makes a project of ``--documents`` small
documents, each with an accepted and a pending span, and exports it as brat (two files a
document) into one folder, alternating ``--spans accepted`` (one ``T`` line an ``.ann``) and
``--spans all`` (two), so every ``.ann`` file tells which export wrote it. Each export runs as
``annotator export`` in a subprocess that is killed (SIGKILL) at the move: either at a random
moment from when the new folder is complete (its manifest written) or the moment the old folder
is set aside. After each kill the output folder must be one export whole: all its ``.ann``
files of one kind, each file as its manifest lists it. Then the next export runs on it, and
must clean up what the killed one left.

    python scripts/kill_export.py --documents 10000 --kills 12
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.model import Document, Span  # noqa: E402
from annotator.services.export_output import MANIFEST  # noqa: E402
from annotator.store import Project  # noqa: E402

TEXT = "Document {n} : Alice Martin rejoint Acme à Paris."
POLL_SECONDS = 0.001


@dataclass
class Tally:
    kills: int = 0
    old_export_whole: int = 0
    new_export_whole: int = 0
    finished_before_the_kill: int = 0
    mixed_folders: int = 0
    unlisted_or_changed_files: int = 0
    missing_output_after_kill: int = 0
    leftover_folders_after_kill: int = 0
    leftover_files_after_kill: int = 0
    most_leftover_files: int = 0
    leftovers_after_next_export: int = 0
    notes: list[str] = field(default_factory=list)


def make_project(path: Path, documents: int) -> None:
    with Project.create(path) as project, project.transaction():
        docs = []
        for n in range(documents):
            text = TEXT.format(n=n)
            docs.append(Document(text=text, meta={"source": f"doc{n}.txt"}, status="done"))
        ids = [doc_id for doc_id, _ in project.add_documents_bulk(docs)]
        pending = {"status": "suggested", "origin": "model:kill@1"}
        spans = []
        for doc_id, document in zip(ids, docs, strict=True):
            alice, acme = document.text.index("Alice"), document.text.index("Acme")
            spans.append(Span(doc_id=doc_id, start=alice, end=alice + 12, label="PER"))
            spans.append(Span(doc_id=doc_id, start=acme, end=acme + 4, label="ORG", **pending))
        project.add_spans_bulk(spans)


def export_command(project: Path, out: Path, spans: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "annotator",
        "export",
        str(project),
        "-f",
        "brat",
        "-o",
        str(out),
        "--spans",
        spans,
    ]


def kinds(out: Path) -> dict[str, int]:
    """How many ``.ann`` files of each export kind the folder holds."""
    counts = {"accepted": 0, "all": 0}
    for ann in out.glob("*.ann"):
        lines = sum(1 for line in ann.read_text(encoding="utf-8").splitlines() if line)
        counts["all" if lines == 2 else "accepted"] += 1
    return counts


def unlisted_or_changed(out: Path) -> int:
    """Files that the folder's manifest does not list with their content, and listed files
    that are missing."""
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    present = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    present.pop(MANIFEST, None)
    bad = len(set(listed) ^ set(present))
    for name, path in present.items():
        if name in listed and hashlib.sha256(path.read_bytes()).hexdigest() != listed[name]:
            bad += 1
    return bad


def leftovers(out: Path) -> tuple[int, int]:
    """Hidden folders beside ``out`` that exports made, and the files in them."""
    folders = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    files = sum(len(names) for folder in folders for _, _, names in os.walk(folder))
    return len(folders), files


def current_folder(out: Path) -> Path:
    """The output folder, or the old one a kill left aside (the next export puts it back)."""
    if out.exists():
        return out
    return next(out.parent.glob(f".{out.name}.annotator-old-*"), out)


def hidden_beside(out: Path) -> set[str]:
    return {e.name for e in os.scandir(out.parent) if e.name.startswith(f".{out.name}.")}


def move_started(out: Path, mode: str, before: set[str]) -> bool:
    """``complete``: the new folder is written whole (its manifest is in the staging folder);
    ``aside``: the old folder has been renamed aside. Leftovers in ``before`` do not count."""
    for name in hidden_beside(out) - before:
        if mode == "aside" and "-old-" in name:
            return True
        if mode == "complete" and (out.parent / name / out.name / MANIFEST).exists():
            return True
    return False


def kill_during_move(
    project: Path, out: Path, spans: str, rng: random.Random, tally: Tally
) -> None:
    mode = rng.choice(["complete", "complete", "aside"])
    delay = rng.uniform(0, 2.0) if mode == "complete" else 0.0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = hidden_beside(out)  # what earlier kills left: the export removes it first
    process = subprocess.Popen(
        export_command(project, out, spans),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while process.poll() is None and not move_started(out, mode, before):
        time.sleep(POLL_SECONDS)
    time.sleep(delay)
    if process.poll() is not None:
        tally.finished_before_the_kill += 1
        if process.returncode:
            tally.notes.append(f"an export failed (exit status {process.returncode})")
    else:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    tally.kills += 1


def inspect_after_kill(out: Path, spans: str, tally: Tally) -> None:
    folders, files = leftovers(out)
    tally.leftover_folders_after_kill += folders
    tally.leftover_files_after_kill += files
    tally.most_leftover_files = max(tally.most_leftover_files, files)
    if not out.exists():
        tally.missing_output_after_kill += 1
        return
    counts = kinds(out)
    if counts["accepted"] and counts["all"]:
        tally.mixed_folders += 1
        tally.notes.append(f"mixed: {counts}")
    elif counts[spans]:
        tally.new_export_whole += 1
    else:
        tally.old_export_whole += 1
    tally.unlisted_or_changed_files += unlisted_or_changed(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="kill-export-") as tmp:
        folder = Path(tmp)
        project = folder / "corpus.annotator"
        out = folder / "out"
        started = time.monotonic()
        make_project(project, args.documents)
        subprocess.run(
            export_command(project, out, "accepted"),
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        files = sum(1 for p in out.rglob("*") if p.is_file())
        print(f"{args.documents} documents, {files} files a folder; {args.kills} kills")
        for _ in range(args.kills):
            other = "accepted" if kinds(current_folder(out))["all"] else "all"
            kill_during_move(project, out, other, rng, tally)
            inspect_after_kill(out, other, tally)
            print(".", end="", flush=True)
        print()
        done = subprocess.run(
            export_command(project, out, "accepted"),
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        if done.returncode != 0:
            tally.notes.append(f"the export after the kills failed: {done.stderr.strip()}")
        tally.leftovers_after_next_export = leftovers(out)[0]
        elapsed = time.monotonic() - started
    print(f"kills during the move:            {tally.kills - tally.finished_before_the_kill}")
    print(f"exports that finished first:      {tally.finished_before_the_kill}")
    print(f"output the old export, whole:     {tally.old_export_whole}")
    print(f"output the new export, whole:     {tally.new_export_whole}")
    print(f"mixed folders:                    {tally.mixed_folders}")
    print(f"files not as the manifest lists:  {tally.unlisted_or_changed_files}")
    print(
        f"output folder missing after kill: {tally.missing_output_after_kill} (put back next time)"
    )
    print(
        f"hidden folders left by kills:     {tally.leftover_folders_after_kill} "
        f"({tally.leftover_files_after_kill} files; at most {tally.most_leftover_files} at once)"
    )
    print(f"hidden folders after a full export: {tally.leftovers_after_next_export}")
    print(f"elapsed: {elapsed:.0f} s")
    for note in tally.notes:
        print(note)


if __name__ == "__main__":
    main()
