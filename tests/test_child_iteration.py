"""A generator run in a second process: its items, its errors and its end, as the parent sees
them (``services.child_iteration``, which an import of large files reads through)."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import threading
from pathlib import Path

import pytest

from annotator.errors import AnnotatorError, FormatError
from annotator.io.records import ImportedRelation
from annotator.services import child_iteration
from annotator.services.child_iteration import child_started, iterate_in_child


def test_every_item_comes_back_in_order_across_batches() -> None:
    count = child_iteration.BATCH_ITEMS * 3 + 7
    with iterate_in_child("builtins:range", count) as items:
        assert list(items) == list(range(count))


def test_no_item_is_no_batch() -> None:
    with iterate_in_child("builtins:range", 0) as items:
        assert list(items) == []


def test_an_error_in_the_child_is_raised_as_itself_after_the_items_before_it() -> None:
    # ``itertools.accumulate`` adds as it goes: the string at the end fails on its own turn
    values = [1, 2, 3, "four"]
    received: list[int] = []
    with (
        iterate_in_child("itertools:accumulate", values) as items,
        pytest.raises(TypeError, match="unsupported operand"),
    ):
        for item in items:
            received.append(item)
    assert received == [1, 3, 6]


def test_an_error_with_arguments_of_its_own_comes_back_whole() -> None:
    with (
        iterate_in_child("json:loads", "[1, 2") as items,
        pytest.raises(json.JSONDecodeError) as raised,
    ):
        list(items)
    assert (raised.value.lineno, raised.value.colno) == (1, 6)


def test_a_format_error_names_its_file_and_place_from_the_child() -> None:
    error = FormatError("corpus.jsonl", 12, "the text is not a string")
    with (
        iterate_in_child("builtins:iter", [error]) as items,
        pytest.raises(AnnotatorError) as raised,
    ):
        raise next(items)
    assert type(raised.value) is FormatError
    assert str(raised.value) == "corpus.jsonl:12: the text is not a string"
    assert (raised.value.path, raised.value.where) == ("corpus.jsonl", 12)


def test_a_child_that_dies_is_one_line_with_its_exit_code() -> None:
    with (
        iterate_in_child("os:_exit", 3) as items,
        pytest.raises(AnnotatorError, match=r"^the reading process stopped \(exit code 3\)$"),
    ):
        list(items)


def test_a_target_that_does_not_exist_is_one_line_with_the_childs_last_words() -> None:
    with (
        iterate_in_child("annotator.no_such_module:read", None) as items,
        pytest.raises(AnnotatorError, match=r"exit code 1\): ModuleNotFoundError: .*no_such"),
    ):
        list(items)


def test_leaving_early_stops_a_child_that_would_never_end() -> None:
    received: list[int] = []

    def read_three() -> None:
        with iterate_in_child("itertools:count", 0) as items:
            received.extend(next(items) for _ in range(3))

    reader = threading.Thread(target=read_three, daemon=True)
    reader.start()
    reader.join(timeout=60)  # the block waits for the child: it must have been stopped
    assert not reader.is_alive()
    assert received == [0, 1, 2]


def test_a_relation_read_from_a_file_pickles_whole() -> None:
    relation = ImportedRelation("3", "7", "works_for", "suggested", 0.25, "model:fr@1")
    assert pickle.loads(pickle.dumps(relation, protocol=pickle.HIGHEST_PROTOCOL)) == relation


def test_the_first_items_come_before_a_whole_batch_is_made(tmp_path: Path) -> None:
    """The child reads lines from a pipe that holds a first batch's worth and no more: the
    parent gets them while the child waits for the next line."""
    fifo = tmp_path / "lines"
    os.mkfifo(fifo)
    received: list[str] = []

    def read_first() -> None:
        with child_started("builtins:open") as child:
            items = child.items(str(fifo))
            with fifo.open("w") as lines:  # opens once the child opens it
                lines.writelines(f"line {n}\n" for n in range(child_iteration.FIRST_BATCH_ITEMS))
                lines.flush()
                received.append(next(items))
                received.append(next(items))

    reader = threading.Thread(target=read_first, daemon=True)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "no item came before a whole batch was read"
    assert received == ["line 0\n", "line 1\n"]


def test_a_child_started_ahead_computes_the_argument_given_later() -> None:
    with child_started("builtins:range") as child:
        assert list(child.items(5)) == [0, 1, 2, 3, 4]
        with pytest.raises(RuntimeError, match="one argument"):
            child.items(3)


def test_a_child_never_given_its_argument_is_stopped_when_the_block_ends(
    child_processes: list[subprocess.Popen[bytes]],
) -> None:
    with child_started("itertools:count"):
        assert child_processes[0].poll() is None
    assert child_processes[0].poll() is not None  # stopped and waited for
