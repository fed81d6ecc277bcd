"""Fine-tuning a pipeline's NER on the project's DocBins with spaCy's own training loop.

No loop of our own: a config sources every component of the base pipeline, freezes all but
the trained ones, and goes through ``spacy.training.initialize.init_nlp`` and
``spacy.training.loop.train`` (what ``spacy train`` runs). A registered logger reports each
step to the caller and stops the run when the caller cancels.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as spacy_train
from thinc.api import Config, ConfigValidationError

from annotator.errors import AnnotatorError, Cancelled
from annotator.suggest.pipelines import load_pipeline

BEST = "model-best"
StepListener = Callable[[int, int], None]
"""Called with (steps done, max steps) after each training step."""

_current = threading.local()
"""The running training's listener and cancel check, per thread (the logger reads them)."""


@dataclass(frozen=True)
class TrainingRequest:
    """What one training run needs; DocBins already written (by the export's writer)."""

    base: str
    train_path: Path
    dev_path: Path
    output: Path
    labels: tuple[str, ...]
    components: tuple[str, ...] = ("ner",)
    max_steps: int = 300
    seed: int = 0
    spans_key: str = "sc"
    label_map: tuple[tuple[str, str], ...] = ()  # a model label -> a schema label


@dataclass
class LabelScores:
    precision: float
    recall: float
    f1: float


@dataclass
class TrainingResult:
    """What spaCy measured on the dev part with the best checkpoint (its entities as
    ``schema_scores`` counts them), and how long it took."""

    model_path: Path
    steps: int
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)
    per_label: dict[str, LabelScores] = field(default_factory=dict)
    champion_f1: float | None = None
    """The best version before this one, and this one, scored on the dev documents neither
    was trained on (``TrainingPlan.compared_documents``)."""
    own_f1: float | None = None


@spacy.registry.loggers("annotator.StepLogger.v1")
def step_logger() -> Callable[..., Any]:
    """spaCy calls ``log_step`` once per step (with scores on evaluation steps)."""

    def setup(nlp: Language, stdout: Any = None, stderr: Any = None) -> tuple[Any, Any]:
        listener: StepListener | None = getattr(_current, "listener", None)
        cancel: Callable[[], bool] | None = getattr(_current, "cancel", None)
        max_steps: int = getattr(_current, "max_steps", 0)
        steps = 0

        def log_step(info: dict[str, Any] | None) -> None:
            nonlocal steps
            steps += 1
            if cancel is not None and cancel():
                raise Cancelled("training cancelled; no model was kept")
            if listener is not None:
                listener(min(steps, max_steps), max_steps)

        return log_step, lambda: None

    return setup


@spacy.registry.callbacks("annotator.add_labels.v1")
def add_labels(component: str, labels: Sequence[str]) -> Callable[[Language], Language]:
    """Before initialising: teach the sourced component the project's labels it lacks."""

    def before_init(nlp: Language) -> Language:
        pipe = nlp.get_pipe(component)
        for label in labels:
            pipe.add_label(label)
        return nlp

    return before_init


def training_config(request: TrainingRequest, base_nlp: Language) -> Config:
    """Every base component sourced; the trained ones fine-tuned, the others frozen."""
    trained = [name for name in request.components if name in base_nlp.pipe_names]
    missing = [name for name in request.components if name not in base_nlp.pipe_names]
    if "ner" in missing:
        raise AnnotatorError(f"{request.base} has no ner component to fine-tune")
    pipeline = list(base_nlp.pipe_names)
    components: dict[str, Any] = {name: {"source": request.base} for name in pipeline}
    if "spancat" in missing:
        pipeline.append("spancat")
        components["spancat"] = {"factory": "spancat", "spans_key": request.spans_key}
        trained.append("spancat")
    eval_every = max(25, min(200, request.max_steps // 4))
    weights = {"ents_f": 1.0}
    if "spancat" in trained:
        weights[f"spans_{request.spans_key}_f"] = 1.0
    has_vectors = base_nlp.vocab.vectors.shape[0] > 0
    config = {
        "paths": {"train": str(request.train_path), "dev": str(request.dev_path)},
        "system": {"seed": request.seed, "gpu_allocator": None},
        "nlp": {"lang": base_nlp.lang, "pipeline": pipeline, "batch_size": 64},
        "components": components,
        "corpora": {
            part: {"@readers": "spacy.Corpus.v1", "path": f"${{paths.{part}}}", "max_length": 0}
            for part in ("train", "dev")
        },
        "training": {
            "seed": "${system.seed}",
            "gpu_allocator": "${system.gpu_allocator}",
            "max_steps": request.max_steps,
            "max_epochs": 0,
            "eval_frequency": eval_every,
            "patience": 0,
            "dropout": 0.1,
            "frozen_components": [name for name in pipeline if name not in trained],
            "annotating_components": [],
            "score_weights": weights,
            "logger": {"@loggers": "annotator.StepLogger.v1"},
        },
        "initialize": {
            "vectors": request.base if has_vectors else None,
            "before_init": {
                "@callbacks": "annotator.add_labels.v1",
                "component": "ner",
                "labels": list(request.labels),
            },
        },
    }
    return Config(config)


def train_pipeline(
    request: TrainingRequest,
    progress: StepListener | None = None,
    cancel: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Fine-tune, save ``model-best`` under ``request.output``; raises ``Cancelled`` on cancel."""
    started = time.perf_counter()
    base_nlp = load_pipeline(request.base, "xx").nlp  # a one-line error when it cannot load
    config = training_config(request, base_nlp)
    del base_nlp
    _current.listener, _current.cancel, _current.max_steps = progress, cancel, request.max_steps
    quiet = io.StringIO()
    try:
        nlp = init_nlp(config)
        request.output.mkdir(parents=True, exist_ok=True)
        spacy_train(nlp, request.output, stdout=quiet, stderr=quiet)
    except ConfigValidationError as error:
        raise AnnotatorError(f"training config refused by spaCy: {error.desc or error}") from None
    finally:
        _current.listener = _current.cancel = None
    model_path = request.output / BEST
    meta = json.loads((model_path / "meta.json").read_text(encoding="utf-8"))
    performance = meta.get("performance", {})
    schema = schema_scores(model_path, request.dev_path, request.labels, dict(request.label_map))
    if schema["ents_per_type"] is not None:
        performance = {**performance, **schema}
    per_type = performance.get("ents_per_type") or {}
    return TrainingResult(
        model_path=model_path,
        steps=request.max_steps,
        seconds=time.perf_counter() - started,
        scores={
            key: float(value)
            for key, value in performance.items()
            if isinstance(value, int | float) and key.startswith(("ents_", "spans_"))
        },
        per_label={
            label: LabelScores(values["p"], values["r"], values["f"])
            for label, values in sorted(per_type.items())
        },
    )


def schema_scores(
    model_path: Path, dev_path: Path, labels: Sequence[str], label_map: Mapping[str, str]
) -> dict[str, Any]:
    """The pipeline's entities on the dev part, scored by spaCy's own NER scorer
    (``get_ner_prf``) as the project's suggestions show them: each label through the
    project's label map, and one outside the schema left out, as the suggester drops it.
    spaCy's own figure counted a base pipeline's other labels (a French pipeline's MISC in a
    project without it) as errors in every label's total, though nobody is ever shown them."""
    from spacy.scorer import get_ner_prf
    from spacy.tokens import Span
    from spacy.training import Corpus

    nlp = spacy.load(model_path)
    examples = list(Corpus(str(dev_path), max_length=0)(nlp))
    kept = frozenset(labels)
    found = nlp.pipe(example.predicted for example in examples)
    for example, doc in zip(examples, found, strict=True):
        mapped = ((ent, label_map.get(ent.label_, ent.label_)) for ent in doc.ents)
        doc.ents = [
            Span(doc, ent.start, ent.end, label=label) for ent, label in mapped if label in kept
        ]
        example.predicted = doc
    return get_ner_prf(examples)


def name_model(model_path: Path, name: str, version: str, description: str) -> None:
    """Give the saved pipeline its own name and version, so its suggestions carry them."""
    meta_path = model_path / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update({"name": name, "version": version, "description": description})
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
