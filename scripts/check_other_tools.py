"""Do Label Studio and doccano read our exports as we wrote them? Asks their own code.

    .venv/bin/python scripts/check_other_tools.py \
        [--labelstudio-python /tmp/lsvenv/bin/python] [--doccano-python /tmp/dcvenv/bin/python]

Each tool is installed in a virtual environment of its own (never the project's), e.g.::

    python -m venv /tmp/lsvenv && /tmp/lsvenv/bin/pip install label-studio
    python -m venv /tmp/dcvenv && /tmp/dcvenv/bin/pip install doccano

A tool whose Python is absent is skipped (and said so). Writes a small project (accents, a
CRLF line end, overlapping spans, relations one way and both ways) with our writers, then:

- Label Studio: ``LabelInterface.validate_prediction`` (the check Label Studio runs on imported
  annotations and predictions) on every result; ``Converter.convert_to_json_min`` (its own
  JSON-MIN export) gives back each region's start, end, text and labels, compared with ours;
  and our reader reads that JSON-MIN back to the same spans.
- doccano: ``JSONLParser`` with the "Auto" encoding (its default, chardet's guess) reads every
  line; each entity's offsets must give back the span's text and each relation its two ends.

Prints one line per check and exits non-zero when one fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import annotator.io.formats  # noqa: F401  (registers every format)
from annotator.io import registry
from annotator.io.records import ExportDocument
from annotator.model import Document, LabelSchema, Relation, Span
from annotator.model.schema import EntityLabel, RelationLabel

TEXT = "Zoë Dupont travaille chez Société Générale à Besançon.\r\nİstanbul reçoit Zoë."
WORDS = [("Zoë Dupont", "PER"), ("Société Générale", "ORG"), ("Besançon", "LOC")]
SCHEMA = LabelSchema(
    entities=tuple(EntityLabel(name=name) for name in ("PER", "ORG", "LOC")),
    relations=(RelationLabel(name="works_for"), RelationLabel(name="near", directed=False)),
)
LABEL_CONFIG = """<View>
  <Relations><Relation value="works_for"/><Relation value="near"/></Relations>
  <Labels name="label" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""


def sample() -> list[ExportDocument]:
    spans = []
    for number, (word, label) in enumerate(WORDS):
        start = TEXT.index(word)
        spans.append(
            Span(id=f"s{number}", doc_id=1, start=start, end=start + len(word), label=label)
        )
    istanbul = TEXT.index("İstanbul")
    spans.append(Span(id="s3", doc_id=1, start=istanbul, end=istanbul + 8, label="LOC"))
    # overlapping: "Société" inside "Société Générale"
    spans.append(Span(id="s4", doc_id=1, start=spans[1].start, end=spans[1].start + 7, label="ORG"))
    relations = [
        Relation(doc_id=1, head="s0", child="s1", label="works_for"),
        Relation(doc_id=1, head="s2", child="s3", label="near"),
    ]
    document = Document(id=1, text=TEXT, status="done", meta={"source": "sample.txt"})
    return [ExportDocument(document, spans, relations)]


LABEL_STUDIO_CHECK = """
import json, sys, tempfile, pathlib
from label_studio_sdk.converter import Converter
from label_studio_sdk.label_interface import LabelInterface
config, path = sys.argv[1], sys.argv[2]
tasks = json.loads(pathlib.Path(path).read_text("utf-8"))
interface = LabelInterface(config)
errors = []
for task in tasks:
    for key in ("annotations", "predictions"):
        for entry in task.get(key, []):
            errors += interface.validate_prediction(entry, return_errors=True)
out = tempfile.mkdtemp()
Converter(config, project_dir=None).convert_to_json_min(path, out, is_dir=False)
records = json.loads((pathlib.Path(out) / "result.json").read_text("utf-8"))
print(json.dumps({"errors": errors, "json_min": records}))
"""

DOCCANO_CHECK = """
import json, sys
from backend.data_import.pipeline.parsers import JSONLParser, decide_encoding
parser = JSONLParser(encoding="Auto")
rows = list(parser.parse(sys.argv[1]))
print(json.dumps({"encoding": decide_encoding(sys.argv[1], "Auto"), "rows": rows,
                  "errors": [str(e) for e in parser.errors]}))
"""


def run(python: Path, code: str, *args: str) -> dict:
    done = subprocess.run(
        [str(python), "-c", textwrap.dedent(code), *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_labelstudio(python: Path, folder: Path) -> list[tuple[str, bool, str]]:
    output = folder / "labelstudio.json"
    registry.write("labelstudio", sample(), output, schema=SCHEMA)
    answer = run(python, LABEL_STUDIO_CHECK, LABEL_CONFIG, str(output))
    results = [("Label Studio validates every result", not answer["errors"], str(answer["errors"]))]
    (record,) = answer["json_min"]
    theirs = sorted((r["start"], r["end"], r["text"], tuple(r["labels"])) for r in record["label"])
    ours = sorted((s.start, s.end, TEXT[s.start : s.end], (s.label,)) for s in sample()[0].spans)
    results.append(("Label Studio JSON-MIN gives back our spans", theirs == ours, str(theirs)))
    json_min = folder / "json_min.json"
    json_min.write_text(json.dumps(answer["json_min"]), encoding="utf-8")
    (back,) = registry.read(json_min, "auto")
    again = sorted((s.start, s.end, TEXT[s.start : s.end], (s.label,)) for s in back.spans)
    results.append(("our reader reads Label Studio's JSON-MIN back", again == ours, str(again)))
    tasks = json.loads(output.read_text("utf-8"))
    directions = sorted(
        (r["labels"][0], r["direction"])
        for r in tasks[0]["annotations"][0]["result"]
        if r["type"] == "relation"
    )
    expected = [("near", "bi"), ("works_for", "right")]
    results.append(("relation directions written", directions == expected, str(directions)))
    unfinished = folder / "labelstudio-unfinished.json"
    (item,) = sample()
    document = item.document.model_copy(update={"status": "in_progress"})
    registry.write(
        "labelstudio",
        [ExportDocument(document, item.spans, item.relations)],
        unfinished,
        schema=SCHEMA,
    )
    answer = run(python, LABEL_STUDIO_CHECK, LABEL_CONFIG, str(unfinished))
    (task,) = json.loads(unfinished.read_text("utf-8"))
    regions = [r for r in task["predictions"][0]["result"] if r["type"] == "labels"]
    results.append(
        (
            "an unfinished document: no annotation, every span a prelabel Label Studio validates",
            "annotations" not in task and len(regions) == len(item.spans) and not answer["errors"],
            str(answer["errors"]),
        )
    )
    return results


SHORT_TEXTS = ("İstanbul", "Ça")  # chardet took their UTF-8 for ISO-8859-1 / Windows-1252


def check_doccano(python: Path, folder: Path) -> list[tuple[str, bool, str]]:
    results = []
    for number, text in enumerate(SHORT_TEXTS):
        output = folder / f"short{number}.jsonl"
        document = Document(id=2, text=text, status="done")
        registry.write("doccano", [ExportDocument(document, [], [])], output)
        answer = run(python, DOCCANO_CHECK, str(output))
        (row,) = answer["rows"]
        results.append(
            (
                f"doccano reads the short text {text!r} (Auto encoding: {answer['encoding']})",
                row["text"] == text,
                repr(row["text"]),
            )
        )
    output = folder / "doccano.jsonl"
    report = registry.write("doccano", sample(), output, schema=SCHEMA)
    answer = run(python, DOCCANO_CHECK, str(output))
    (row,) = answer["rows"]
    by_id = {e["id"]: e for e in row["entities"]}
    texts = sorted(row["text"][e["start_offset"] : e["end_offset"]] for e in row["entities"])
    expected = sorted(TEXT[s.start : s.end] for s in sample()[0].spans)
    ends_known = all(r["from_id"] in by_id and r["to_id"] in by_id for r in row["relations"])
    return [
        *results,
        (
            f"doccano reads it (Auto encoding: {answer['encoding']})",
            row["text"] == TEXT and not answer["errors"],
            str(answer["errors"]),
        ),
        ("doccano entity offsets give back our span texts", texts == expected, str(texts)),
        ("doccano relations point at entities", ends_known, str(row["relations"])),
        ("overlapping spans are warned about", bool(report.warnings), str(report.warnings)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labelstudio-python", type=Path, default=Path("/tmp/lsvenv/bin/python"))
    parser.add_argument("--doccano-python", type=Path, default=Path("/tmp/dcvenv/bin/python"))
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for name, python, check in (
            ("Label Studio", args.labelstudio_python, check_labelstudio),
            ("doccano", args.doccano_python, check_doccano),
        ):
            if not python.exists():
                print(f"skip: {name} is not installed at {python}")
                continue
            for what, ok, detail in check(python, Path(folder)):
                failed = failed or not ok
                print(f"{'ok  ' if ok else 'FAIL'} {what}" + ("" if ok else f": {detail}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
