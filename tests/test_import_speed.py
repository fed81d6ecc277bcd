"""The bulk import's fast paths keep every check and every row: what an import stores, and
that importing or exporting doccano never loads spaCy (a second of start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules_loaded_by(argv: list[str]) -> list[str]:
    """Run ``annotator ARGV`` in a new interpreter; which of spaCy and thinc it imported."""
    check = (
        "import json, sys\n"
        "from annotator.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print(json.dumps([m for m in ('spacy', 'thinc') if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def doccano_file(tmp_path: Path) -> Path:
    source = tmp_path / "tasks.jsonl"
    task = {
        "text": "Marie Curie travaille à Paris.",
        "entities": [
            {"id": 1, "label": "PER", "start_offset": 0, "end_offset": 11},
            {"id": 2, "label": "LOC", "start_offset": 24, "end_offset": 29},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "located_in"}],
    }
    source.write_text(json.dumps(task) + "\n", encoding="utf-8")
    return source


def test_importing_and_exporting_doccano_never_import_spacy(
    tmp_path: Path, doccano_file: Path
) -> None:
    project = str(tmp_path / "p.annotator")
    assert _modules_loaded_by(["import", project, str(doccano_file), "--format", "doccano"]) == []
    output = str(tmp_path / "out.jsonl")
    export = ["export", project, "--format", "doccano", "--output", output, "--status", "all"]
    assert _modules_loaded_by(export) == []
    assert json.loads(Path(output).read_text(encoding="utf-8"))["relations"]
