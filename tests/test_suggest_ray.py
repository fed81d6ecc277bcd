"""``annotator suggest --engine ray``: the same suggestions as the local engine, on Ray actors.

Ray runs locally with two CPUs, started once for the module; a blank pipeline with patterns,
propagation and the shipped French relation rules keeps it light. The tests that kill a
worker kill its process (SIGKILL), as a crash or the OOM killer would.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from suggest_helpers import (
    ENTITY_PATTERNS,
    add_texts,
    covered,
    described_relations,
    described_spans,
    write_patterns,
)
from typer.testing import CliRunner

from annotator import edits
from annotator.cli.app import app
from annotator.errors import AnnotatorError
from annotator.services import suggesting
from annotator.services.suggesting import SuggestOptions, SuggestPlan, run_suggestions
from annotator.store import Project
from annotator.suggest.results import DocumentInput

pytestmark = pytest.mark.ray
ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "La Chine inquiète, a déclaré le président de Microsoft, Brad Smith, au WSJ.",
    "Brad Smith, PDG de Microsoft, répond au WSJ.",
    "Satya Nadella dirige Microsoft depuis 2014 ; la cocaïne n'a rien à voir.",
    "Un texte sans rien à suggérer.",
]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[object]:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    ray.init(num_cpus=2, namespace="annotator", include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    return write_patterns(tmp_path / "entities.jsonl", ENTITY_PATTERNS)


def _pool(path: Path, copies: int) -> Project:
    """TEXTS ``copies`` times (numbered, so each is its own document), with a person's
    decisions on the first document: an accepted, a rejected and a human span."""
    project = Project.create(path)
    add_texts(project, [f"{text} ({n})" for n in range(copies) for text in TEXTS])
    project.apply(edits.add_span(project_span(1, 0, 8, "LOC")))  # "La Chine", human
    return project


def project_span(doc_id: int, start: int, end: int, label: str):  # type: ignore[no-untyped-def]
    from annotator.model import Span

    return Span(doc_id=doc_id, start=start, end=end, label=label)


def _state(project: Project) -> list[tuple[object, ...]]:
    return [
        (
            doc_id,
            project.document_status(doc_id),
            sorted(described_spans(project, doc_id)),
            sorted(described_relations(project, doc_id)),
        )
        for doc_id in project.document_ids()
    ]


def _options(patterns: Path, **more: object) -> SuggestOptions:
    return SuggestOptions(model="blank", patterns=(patterns,), batch_size=3, **more)  # type: ignore[arg-type]


def test_ray_suggests_what_the_local_engine_does(
    ray_cluster: object, patterns: Path, tmp_path: Path
) -> None:
    with (
        _pool(tmp_path / "local.annotator", 3) as local,
        _pool(tmp_path / "ray.annotator", 3) as on_ray,
    ):
        local_report = run_suggestions(local, _options(patterns))
        ray_report = run_suggestions(on_ray, _options(patterns, engine="ray", num_cpus=2))
        assert _state(on_ray) == _state(local)
        assert any(relations for *_, relations in _state(local))  # relation rules ran too
        assert (ray_report.documents, ray_report.spans_added, ray_report.relations_added) == (
            local_report.documents,
            local_report.spans_added,
            local_report.relations_added,
        )
        assert ray_report.tally == local_report.tally
        # a person's decisions, then a second run: same rules on both engines
        for project in (local, on_ray):
            microsoft = next(s for s in project.spans(2) if covered(project, s) == "Microsoft")
            project.apply(edits.reject_span(microsoft))
        run_suggestions(local, _options(patterns))
        again = run_suggestions(on_ray, _options(patterns, engine="ray", num_cpus=2))
        assert again.spans_added == 0
        assert _state(on_ray) == _state(local)


def test_the_command_loads_no_model_of_its_own_the_actors_do(
    ray_cluster: object, patterns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary comes from the actors, which load the model at once. The command loaded one
    of its own first, and the actors began theirs only after it: Ray ran 30 % over two local
    processes on 20,000 documents (``benchmarks/bench_ray.py``)."""
    from annotator.suggest import pipelines

    loads: list[str] = []
    load_pipeline = pipelines.load_pipeline

    def counted(name: str, lang: str) -> Any:  # in this process only, not in the actors
        loads.append(name)
        return load_pipeline(name, lang)

    monkeypatch.setattr(pipelines, "load_pipeline", counted)
    with _pool(tmp_path / "ray.annotator", 2) as on_ray:
        report = run_suggestions(on_ray, _options(patterns, engine="ray", num_cpus=2))
        assert report.documents > 0 and report.spans_added > 0
    assert loads == []


def test_the_actors_get_the_pattern_files_read_by_the_command(
    ray_cluster: object, patterns: Path, tmp_path: Path
) -> None:
    """The pattern and rule files are read where the command runs and shipped: a cluster's
    nodes need not have them. Here the file is gone by the time the actors build."""
    with _pool(tmp_path / "local.annotator", 2) as local:
        run_suggestions(local, _options(patterns))
        expected = _state(local)

    def remove_the_file(done: int, total: int) -> None:
        if done == 0:  # the actors are made, none has built its suggester yet
            patterns.unlink()

    with _pool(tmp_path / "ray.annotator", 2) as on_ray:
        run_suggestions(on_ray, _options(patterns, engine="ray", num_cpus=2), remove_the_file)
        assert not patterns.exists()
        assert _state(on_ray) == expected


def test_an_error_building_the_suggester_on_an_actor_is_its_one_line(
    ray_cluster: object, tmp_path: Path
) -> None:
    """A user's error raised on an actor (a file or a model missing on that node) reaches the
    command as its message, even for an error class pickle cannot rebuild (``FormatError``)."""
    from annotator.errors import FormatError
    from annotator.suggest.ray_engine import RayEngine

    path = tmp_path / "entities.jsonl"

    def unreadable() -> object:
        raise FormatError(path, None, "cannot read pattern file (gone)")

    engine = RayEngine(unreadable, num_cpus=1)  # type: ignore[arg-type]
    try:
        with pytest.raises(AnnotatorError) as error:
            list(engine.suggest([DocumentInput(doc_id=1, text="Bonjour.")]))
    finally:
        engine.close()
    assert str(error.value) == f"{path}: cannot read pattern file (gone)"


def test_a_worker_process_killed_in_a_batch_is_restarted_and_the_run_completes(
    ray_cluster: object, patterns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL of an actor's process while it computes a batch: Ray restarts the actor (its
    ``max_restarts``) and runs the batch again (``max_task_retries``); the run stores every
    document once, as the local engine does."""
    with _pool(tmp_path / "local.annotator", 5) as local:
        expected_report = run_suggestions(local, _options(patterns))
        expected = _state(local)
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setattr(suggesting, "build_suggester", _stalling_factory(marks, doc_id=5))

    def kill_the_stalled_worker(done: int, total: int) -> None:
        if done == 3:  # the first batch is committed; the second stalls on document 5
            pid = _wait_for_pid(marks / "stalled")
            # as in a real run, where the model loads and batches run for a while: by now
            # Ray has let go of the actor's constructor arguments (kept for about a second)
            time.sleep(3)
            os.kill(pid, signal.SIGKILL)

    with _pool(tmp_path / "ray.annotator", 5) as project:
        report = run_suggestions(
            project, _options(patterns, engine="ray", num_cpus=2), kill_the_stalled_worker
        )
        assert _state(project) == expected
        assert (report.documents, report.spans_added, report.tally) == (
            expected_report.documents,
            expected_report.spans_added,
            expected_report.tally,
        )
    # the batch ran again, in the restarted actor's new process
    assert _wait_for_pid(marks / "ran again") != _wait_for_pid(marks / "stalled")


def test_ray_stores_the_beam_scores_the_local_engine_stores(
    ray_cluster: object, tmp_path: Path
) -> None:
    options = SuggestOptions(
        model="fr_core_news_sm", default_rules=False, propagate=False, batch_size=3,
        scores="beam",
    )  # fmt: skip
    with (
        _pool(tmp_path / "local.annotator", 2) as local,
        _pool(tmp_path / "ray.annotator", 2) as on_ray,
    ):
        run_suggestions(local, options)
        run_suggestions(on_ray, dataclasses.replace(options, engine="ray", num_cpus=2))
        scored = _scored(local)
        assert scored and all(score is not None for *_, score in scored)
        assert _scored(on_ray) == scored
        assert _state(on_ray) == _state(local)


def _scored(project: Project) -> list[tuple[int, int, int, str, float | None]]:
    return sorted(
        (doc_id, s.start, s.end, s.label, s.score)
        for doc_id in project.document_ids()
        for s in project.spans(doc_id, "suggested")
    )


def test_a_worker_killed_for_good_loses_no_committed_batch_and_a_rerun_does_the_rest(
    ray_cluster: object, patterns: Path, tmp_path: Path
) -> None:
    """An actor's process killed twice (past its one restart) stops the run with one line;
    the batches committed before stay, and ``--docs new`` does only the rest."""
    import ray

    def kill_a_worker_twice(done: int, total: int) -> None:
        if done == 3:  # the first batch is committed
            name = next(
                actor["name"]
                for actor in ray.util.list_named_actors(all_namespaces=True)
                if actor["name"].startswith("annotator-suggest-")
            )
            worker = ray.get_actor(name, namespace="annotator")
            for _ in range(2):  # the second time, the restarted actor's process
                pid = ray.get(worker.__ray_call__.remote(lambda actor: os.getpid()))
                os.kill(pid, signal.SIGKILL)

    with _pool(tmp_path / "local.annotator", 15) as local:
        run_suggestions(local, _options(patterns))
        expected = _state(local)
    with _pool(tmp_path / "ray.annotator", 15) as project:
        with pytest.raises(AnnotatorError, match="a Ray worker was lost.*--docs new") as lost:
            run_suggestions(
                project, _options(patterns, engine="ray", num_cpus=2), kill_a_worker_twice
            )
        assert len(str(lost.value).splitlines()) == 1
        done = project.document_ids("suggested")
        assert 3 <= len(done) < 60
        committed = {row[0] for row in _state(project) if row[0] in done}
        assert [row for row in _state(project) if row[0] in committed] == [
            row for row in expected if row[0] in committed
        ]
        left = sorted(set(project.document_ids()) - set(done))
        report = run_suggestions(project, _options(patterns, engine="ray", num_cpus=2, docs="new"))
        assert report.documents == len(left)  # only what was left
        assert _state(project) == expected


BALLAST = os.urandom(1 << 20)
"""1 MiB shipped with a factory: Ray keeps such an argument in its object store, not inline."""


def _wait_for_pid(path: Path, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.05)
    return int(path.read_text())


def _stalling_factory(marks: Path, doc_id: int) -> Callable[[SuggestPlan], object]:
    """``build_suggester`` whose suggester, the first time it gets ``doc_id``, writes its pid
    to ``marks/stalled`` and waits to be killed; the next time, it writes ``marks/ran again``
    and suggests. Made here so that Ray ships it by value (the workers cannot import tests).
    It carries ``BALLAST``: a real plan (a pool's accepted strings, their word counts) is
    larger than Ray's 100 KiB of inlined task arguments, and so is this one."""
    real = suggesting.build_suggester

    class Stalling:
        ballast = BALLAST

        def __init__(self, plan: SuggestPlan, *files: Any) -> None:
            self.suggester = real(plan, *files)

        def __getattr__(self, name: str) -> object:
            return getattr(self.suggester, name)

        def suggest(self, batch: list[DocumentInput], batch_size: int) -> object:
            if any(document.doc_id == doc_id for document in batch):
                first = not (marks / "stalled").exists()
                written = marks / ("stalled" if first else "ran again")
                (marks / "writing").write_text(str(os.getpid()))
                (marks / "writing").replace(written)
                if first:
                    time.sleep(600)  # killed before
            return self.suggester.suggest(batch, batch_size=batch_size)

    return Stalling


def test_a_cancelled_ray_run_keeps_what_it_stored(
    ray_cluster: object, patterns: Path, tmp_path: Path
) -> None:
    stored: list[int] = []
    with _pool(tmp_path / "ray.annotator", 6) as project:
        report = run_suggestions(
            project,
            _options(patterns, engine="ray", num_cpus=2),
            progress=lambda done, total: stored.append(done),
            cancel=lambda: len(stored) > 1,  # after the first committed batch
        )
        assert report.cancelled
        assert report.documents == 3 < report.selected == 24
        assert len(project.document_ids("suggested")) == 3


def test_without_ray_the_engine_says_how_to_install_it(
    tmp_path: Path, patterns: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        add_texts(project, TEXTS)
    result = CliRunner().invoke(app, ["suggest", str(path), "--model", "blank", "--engine", "ray"])
    assert result.exit_code == 1
    assert "pip install 'annotator[ray]'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with Project.open(path) as project:
        assert project.document_ids("new") == [1, 2, 3, 4]


def test_an_unknown_engine_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.annotator"
    Project.create(path).close()
    result = CliRunner().invoke(app, ["suggest", str(path), "--engine", "spark"])
    assert result.exit_code == 1
    assert "--engine takes local or ray, not 'spark'" in result.output


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_address_where_nothing_listens_is_one_line_at_once_and_the_project_unlocked(
    tmp_path: Path, scheme: str
) -> None:
    """The real command, in its own process: ``ray.init`` on such an address waited for 11
    minutes and more, deaf to Ctrl+C and SIGTERM, with the project locked."""
    pytest.importorskip("ray", reason="the ray extra is not installed")
    with socket.socket() as probe:  # a free port: nothing listens there once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path = tmp_path / "p.annotator"
    with Project.create(path) as project:
        add_texts(project, TEXTS)
    address = f"{scheme}127.0.0.1:{port}"
    command = [sys.executable, "-m", "annotator", "suggest", str(path), "--model", "blank"]
    try:
        result = subprocess.run(
            [*command, "--engine", "ray", "--address", address],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=60,  # Python, Ray's import and the check take a few seconds
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"--address {address} still waits after 60 s")
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert f"cannot join the Ray cluster at {address}: nothing answers there" in output
    assert len(output.splitlines()) == 1, output
    with Project.open(path) as project:  # for writing: the lock is released
        assert project.document_ids("new") == [1, 2, 3, 4]


def test_ctrl_c_ends_a_ray_run_with_our_one_line_and_nothing_of_rays(
    tmp_path: Path, patterns: Path
) -> None:
    """The real command on a local Ray, interrupted once it has stored a batch: its own line,
    not Ray's "Task ... will be retried" (the actors were killed with batches running) nor
    its token-authentication notice."""
    pytest.importorskip("ray", reason="the ray extra is not installed")
    path = tmp_path / "p.annotator"
    with _pool(path, 1500):  # 6,000 documents: the run lasts well past the first batch
        pass
    command = [
        *(sys.executable, "-c", _SIGINT_DEFAULT, sys.executable),  # Ctrl+C, even from `&`
        *("-m", "annotator", "suggest", str(path), "--model", "blank"),
        *("--patterns", str(patterns), "--engine", "ray", "--num-cpus", "2", "--batch-size", "8"),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as run:
        deadline = time.monotonic() + 120
        while not _suggested(path):
            assert run.poll() is None and time.monotonic() < deadline, "no batch stored"
            time.sleep(0.2)
        time.sleep(1)  # batches running on both actors
        run.send_signal(signal.SIGINT)
        output, _ = run.communicate(timeout=60)
    assert run.returncode == 130, output
    [line] = output.strip().splitlines()
    assert line.startswith("error: interrupted after "), output
    assert f"{path} keeps every batch committed" in line, output
    done = _suggested(path)
    assert 0 < done < 6000


_SIGINT_DEFAULT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)
"""Runs argv[1:] with Ctrl+C handled: a shell's background job starts with it ignored."""


def _suggested(path: Path) -> int:
    with Project.open(path, read_only=True) as project:
        return project.count_documents("suggested")
