"""Times the document view offscreen, side by side with Qt's own plain-text widget.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_editor.py [--repeat N]

Rows: switching to a 5,000-token document with 500 spans and 100 relations; a label keystroke
on a span of that document until the repaint is done (key press, store commit, re-read,
repaint); opening a 100,000-token document; scrolling it by a page. Each figure is the median of
repeated runs. The baseline is ``QPlainTextEdit`` doing the same with the bare text (no
annotations, no store) or, for the keystroke, the store edit alone without any widget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from annotator import edits
from annotator.model import Document, Relation, Span
from annotator.store import Project
from annotator.ui.editor import DocumentView
from annotator.ui.session import ProjectSession

SENTENCE = (
    "Alice Martin rejoint Acme à Paris selon le journal du soir tandis que la Chine annonce "
    "un plan pour Microsoft et Deepseek avec Brad Smith président de la société"
)
WORDS = SENTENCE.split()
LABELS = ("PER", "ORG", "LOC", "MISC")
VIEW_SIZE = (1000, 700)


def make_text(tokens: int, per_paragraph: int = 80) -> tuple[str, tuple[tuple[int, int], ...]]:
    words = [WORDS[i % len(WORDS)] for i in range(tokens)]
    parts, offsets, position = [], [], 0
    for index, word in enumerate(words):
        if index:
            separator = "\n" if index % per_paragraph == 0 else " "
            parts.append(separator)
            position += 1
        offsets.append((position, position + len(word)))
        parts.append(word)
        position += len(word)
    return "".join(parts), tuple(offsets)


def add_annotated_document(
    project: Project, tokens: int, spans: int, relations: int, salt: str
) -> tuple[int, list[Span]]:
    text, offsets = make_text(tokens)
    doc_id, _ = project.add_document(Document(text=salt + "\n" + text, tokens=()))
    shift = len(salt) + 1
    offsets = tuple((start + shift, end + shift) for start, end in offsets)
    project.set_tokens(doc_id, offsets)
    step = max(1, tokens // spans)
    made = []
    for number in range(spans):
        start, end = offsets[number * step]
        made.append(
            Span(
                doc_id=doc_id,
                start=start,
                end=end,
                label=LABELS[number % 4],
                status="suggested" if number % 3 == 0 else "accepted",
                origin="model:bench@1",
            )
        )
    project.add_spans(made)
    links = [
        Relation(doc_id=doc_id, head=made[4 * k].id, child=made[4 * k + 1].id, label="works_for")
        for k in range(min(relations, len(made) // 4))
    ]
    project.add_relations(links)
    return doc_id, made


def median_ms(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per figure (median)")
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        project = Project.create(Path(folder) / "bench.annotator")
        doc_a, spans_a = add_annotated_document(project, 5_000, 500, 100, "A")
        doc_b, _ = add_annotated_document(project, 5_000, 500, 100, "B")
        big, _ = add_annotated_document(project, 100_000, 5_000, 500, "C")
        session = ProjectSession(project)
        view = DocumentView(session)
        # Propagation runs in the background after an accept; it is the suggestion service's
        # cost (bench_suggest), and on this corpus every word recurs thousands of times.
        view.propagation().set_enabled(False)
        view.resize(*VIEW_SIZE)
        view.show()
        baseline = QPlainTextEdit()
        baseline.setReadOnly(True)
        baseline.resize(*VIEW_SIZE)
        baseline.show()
        app.processEvents()
        texts = {d: project.document(d).text for d in (doc_a, doc_b, big)}
        rows: list[tuple[str, float, float, str, float]] = []

        # 1. document switch, alternating between two 5,000-token documents
        order = iter([doc_a, doc_b] * repeat * 2)

        def switch() -> None:
            session.open_document(next(order))
            view.viewport().repaint()

        def switch_baseline() -> None:
            baseline.setPlainText(texts[next(order)])
            baseline.viewport().repaint()

        ours = median_ms(switch, repeat)
        order = iter([doc_a, doc_b] * repeat * 2)
        theirs = median_ms(switch_baseline, repeat)
        rows.append(
            (
                "switch to a 5,000-token doc (500 spans, 100 relations)",
                ours,
                theirs,
                "< 100 ms",
                100.0,
            )
        )

        # 2. a label keystroke on a selected span, until the repaint is done
        session.open_document(doc_a)
        view.setFocus()
        target = spans_a[10]
        view.select(target.id)
        keys = iter(["2", "1"] * repeat * 4)

        def keystroke() -> None:
            QTest.keyClick(view, next(keys))
            view.viewport().repaint()

        ours = median_ms(keystroke, repeat * 3)
        assert project.span(target.id).label in ("PER", "ORG"), "the keystroke did not edit"
        current = [project.span(target.id)]

        def store_only() -> None:
            span = current[0]
            label = "ORG" if span.label == "PER" else "PER"
            edit = edits.relabel_span(span, label)
            project.apply(edit)
            current[0] = edit.after

        theirs = median_ms(store_only, repeat * 3)
        rows.append(("label keystroke until repainted (same doc)", ours, theirs, "< 16 ms", 16.0))

        # 3. opening the 100,000-token document
        def open_big() -> None:
            session.open_document(doc_a)
            started = time.perf_counter()
            session.open_document(big)
            view.viewport().repaint()
            open_big.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]

        big_times = []
        for _ in range(max(3, repeat // 3)):
            open_big()
            big_times.append(open_big.elapsed * 1000.0)  # type: ignore[attr-defined]
        ours = statistics.median(big_times)

        def open_big_baseline() -> None:
            baseline.setPlainText(texts[big])
            baseline.viewport().repaint()

        theirs = median_ms(open_big_baseline, max(3, repeat // 3))
        rows.append(
            (
                "open a 100,000-token doc (5,000 spans, 500 relations)",
                ours,
                theirs,
                "< 1000 ms",
                1000.0,
            )
        )

        # 4. scrolling the 100,000-token document one page at a time (first pass: lays out)
        session.open_document(big)
        view.viewport().repaint()
        bar = view.verticalScrollBar()

        def page_down() -> None:
            bar.setValue(bar.value() + bar.pageStep())
            view.viewport().repaint()

        ours = median_ms(page_down, repeat * 4)
        baseline_bar = baseline.verticalScrollBar()

        def page_down_baseline() -> None:
            baseline_bar.setValue(baseline_bar.value() + baseline_bar.pageStep())
            baseline.viewport().repaint()

        theirs = median_ms(page_down_baseline, repeat * 4)
        rows.append(("scroll the 100,000-token doc by a page", ours, theirs, "< 16 ms", 16.0))
        laid, total = view.visible_block_count()

        view.propagation().wait()
        view.close()
        baseline.close()
        project.close()

    print(f"Document view, offscreen, {VIEW_SIZE[0]}x{VIEW_SIZE[1]}, median of {repeat}+ runs")
    print()
    print("| measurement | annotator (ms) | QPlainTextEdit / store only (ms) | goal | meets |")
    print("|---|---:|---:|---|---|")
    for name, ours, theirs, goal, limit in rows:
        print(
            f"| {name} | {ours:.1f} | {theirs:.1f} | {goal} | {'yes' if ours < limit else 'NO'} |"
        )
    print()
    print(f"Blocks laid out after scrolling the big document: {laid} of {total}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
