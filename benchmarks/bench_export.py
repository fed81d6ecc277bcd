"""Export speed and memory, every format, against a raw write of the same records.

    .venv/bin/python benchmarks/bench_export.py                       # 10,000 and 100,000
    .venv/bin/python benchmarks/bench_export.py --sizes 1000 --formats doccano,spacy

For each size it imports the issue-14 corpus (``benchmarks/corpus.py``, seed 14: ~800-token
French news-like documents, 33 entity spans and 3 relations each) into a project (not timed),
then for each format runs, each in a fresh process so that peak memory is that run's alone:

- ours: ``export_project(status="all")`` from the project file (documents, tokens, spans,
  relations and the edit log read, selection, misaligned spans handled, staged write and move,
  export event logged); ``spacy`` with ``--split 1``;
- raw: the same records written with nothing else: our output read back first (not timed),
  then ``json.dumps`` per line (per file for Label Studio's one JSON list), the same lines or
  files written again (CoNLL, brat), or ``DocBin(docs=...).to_disk`` for spaCy.

Prints a Markdown table with wall-clock and CPU seconds (CPU is the fairer figure on a
loaded machine) and ``raw CPU / ours CPU``, where 1.00x would be as fast as the raw write.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from corpus import Timer, figures, in_new_process, markdown_table, write_corpus

FORMATS = ("doccano", "prodigy", "annotator", "labelstudio", "conll", "brat", "spacy")


def run_setup(source: Path, project_path: Path) -> dict[str, float]:
    from annotator.services.importing import import_sources
    from annotator.store import Project

    with Project.create(project_path) as project, Timer() as timer:
        report = import_sources(project, [source], format="doccano")
    return figures(timer.seconds, timer.cpu_seconds, documents=report.documents)


def run_ours(format: str, project_path: Path, output: Path) -> dict[str, float]:
    from annotator.services.exporting import export_project
    from annotator.store import Project

    split = (1.0,) if format == "spacy" else None
    with Project.open(project_path) as project, Timer() as timer:
        report = export_project(project, format, output, status="all", split=split)
    return figures(timer.seconds, timer.cpu_seconds, documents=report.documents)


def _files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*") if p.is_file()) if output.is_dir() else [output]


def run_raw(format: str, ours: Path, output: Path) -> dict[str, float]:
    """Write what ours wrote, from records already in memory, with the plainest code."""
    files = [path for path in _files(ours) if not path.name.startswith(".")]
    output.mkdir()
    if format == "spacy":
        import spacy
        from spacy.tokens import DocBin

        from annotator.io.docbin_writer import ensure_rel_extension

        ensure_rel_extension()
        vocab = spacy.blank("fr").vocab
        parts = [list(DocBin().from_disk(path).get_docs(vocab)) for path in files]
        with Timer() as timer:
            for number, docs in enumerate(parts):
                DocBin(docs=docs, store_user_data=True).to_disk(output / f"{number}.spacy")
    elif format in ("conll", "brat"):
        contents = [path.read_text(encoding="utf-8") for path in files]
        with Timer() as timer:
            for number, content in enumerate(contents):
                (output / str(number)).write_text(content, encoding="utf-8")
    elif format == "labelstudio":
        tasks = [json.loads(path.read_text(encoding="utf-8")) for path in files]
        with Timer() as timer:
            for number, data in enumerate(tasks):
                (output / str(number)).write_text(json.dumps(data, ensure_ascii=False))
    else:
        lines = [
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            for path in files
        ]
        with Timer() as timer:
            for number, records in enumerate(lines):
                with (output / str(number)).open("w", encoding="utf-8") as handle:
                    for record in records:
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return figures(timer.seconds, timer.cpu_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated counts")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--worker", nargs=4, metavar=("KIND", "FORMAT", "SOURCE", "TARGET"))
    args = parser.parse_args()
    if args.worker:
        kind, format, source, target = args.worker
        if kind == "setup":
            print(json.dumps(run_setup(Path(source), Path(target))))
        else:
            run = run_ours if kind == "ours" else run_raw
            print(json.dumps(run(format, Path(source), Path(target))))
        return
    header = (
        "documents",
        "format",
        "ours s",
        "ours CPU s",
        "ours peak RSS MB",
        "raw s",
        "raw CPU s",
        "raw CPU / ours CPU",
        "raw peak RSS MB",
    )
    print(markdown_table(header, []), flush=True)  # then each row as it is measured
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"corpus-{size}.jsonl"
            project = Path(folder) / f"corpus-{size}.annotator"
            write_corpus(source, size)
            imported = in_new_process(__file__, "setup", "-", str(source), str(project))
            _print_row(f"{size:,}", "(import, doccano JSONL)", *_cells(imported), "", "", "", "")
            for format in args.formats.split(","):
                ours_path = Path(folder) / f"ours-{size}-{format}"
                raw_path = Path(folder) / f"raw-{size}-{format}"
                ours = in_new_process(__file__, "ours", format, str(project), str(ours_path))
                raw = in_new_process(__file__, "raw", format, str(ours_path), str(raw_path))
                assert ours["documents"] == size, ours
                _print_row(
                    f"{size:,}",
                    format,
                    *_cells(ours),
                    f"{raw['seconds']:.2f}",
                    f"{raw['cpu_seconds']:.2f}",
                    f"{raw['cpu_seconds'] / ours['cpu_seconds']:.2f}x",
                    f"{raw['max_rss_mb']:.0f}",
                )


def _print_row(*cells: str) -> None:
    print("| " + " | ".join(cells) + " |", flush=True)


def _cells(run: dict[str, float]) -> tuple[str, str, str]:
    return f"{run['seconds']:.2f}", f"{run['cpu_seconds']:.2f}", f"{run['max_rss_mb']:.0f}"


if __name__ == "__main__":
    main()
