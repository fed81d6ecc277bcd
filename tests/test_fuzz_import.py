"""Fuzz every importer: mutated files are refused in one line naming them, or imported soundly.

The cases come from ``scripts/fuzz_import.py`` (byte flips, truncation, JSON type swaps, huge
numbers, deep nesting, lone surrogates, NaN, NUL, dropped lines...) with a fixed seed. Each runs
in a forked worker with a time and a memory limit, against a project that already holds one
document; a refusal must leave that project byte for byte as it was (see ``Runner``). Seeds
generated in the script run everywhere; the real files of ``../shared/fixtures`` add more.
A larger run: ``python scripts/fuzz_import.py --cases 2000``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from conftest import FIXTURES, ROOT

CASES_PER_FORMAT = 100
FIXTURE_CASES_PER_FORMAT = 30
SECONDS_PER_CASE = 20.0


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fuzz_import", ROOT / "scripts" / "fuzz_import.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


fuzz = _load_script()
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="each case runs in a fork")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # one strict-JSON export per imported case keeps the run within CI's budget; the script
    # checks the doccano and Label Studio exports too
    runner = fuzz.Runner(tmp_path_factory.mktemp("fuzz"), SECONDS_PER_CASE, exports=("annotator",))
    yield runner
    runner.close()


def _run(runner: Any, cases: list[Any]) -> Counter[str]:
    results = [runner.run(case) for case in cases]
    bad = [result for result in results if result.outcome in fuzz.BAD_OUTCOMES]
    described = "\n".join(
        f"{r.outcome} #{r.case.number} {r.case.seed}: {r.case.mutation[:80]} -> {r.detail[:200]}"
        for r in bad[:10]
    )
    assert not bad, f"{len(bad)} of {len(results)} cases went wrong:\n{described}"
    slowest = max(results, key=lambda result: result.seconds)
    assert slowest.seconds < SECONDS_PER_CASE, slowest.case.mutation
    return Counter(result.outcome for result in results)


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
def test_generated_files_mutated(runner: Any, fmt: str) -> None:
    cases = fuzz.cases(CASES_PER_FORMAT, seed=13, formats=(fmt,), fixtures=None)
    counts = _run(runner, cases)
    assert counts["error"] >= 5, counts  # the mutations do break files


@pytest.mark.parametrize("fmt", fuzz.FORMATS)
def test_real_files_mutated(runner: Any, fmt: str) -> None:
    if not FIXTURES.is_dir():
        pytest.skip(f"real-world fixtures not found at {FIXTURES}")
    if fmt not in fuzz.seeds(FIXTURES, generated=False):
        pytest.skip(f"no {fmt} file among the fixtures")
    cases = fuzz.cases(
        FIXTURE_CASES_PER_FORMAT, seed=17, formats=(fmt,), fixtures=FIXTURES, generated=False
    )
    _run(runner, cases)
