"""Our P/R/F counts are spaCy's ``PRFScore``'s, without loading spaCy for ``annotator stats``."""

from __future__ import annotations

import pytest
from spacy.scorer import PRFScore

from annotator.suggest.scores import score_keys


def test_scores_agree_with_spacys_prfscore() -> None:
    proposed = {(1, 0, 4, "PER"), (1, 5, 9, "ORG"), (2, 0, 3, "ORG"), (2, 4, 8, "LOC")}
    gold = {(1, 0, 4, "PER"), (1, 5, 9, "LOC"), (2, 0, 3, "ORG"), (3, 1, 2, "PER")}
    ours = score_keys(proposed, gold, wrong={"ORG": 2})
    total = PRFScore()
    for label in ("PER", "ORG", "LOC"):
        theirs = PRFScore()
        theirs.score_set(
            {k for k in proposed if k[-1] == label}, {k for k in gold if k[-1] == label}
        )
        theirs.fp += 2 if label == "ORG" else 0
        total += theirs
        mine = ours.per_label[label]
        assert (mine.tp, mine.fp, mine.fn) == (theirs.tp, theirs.fp, theirs.fn)
        assert mine.fscore == pytest.approx(theirs.fscore)
    assert (ours.total.precision, ours.total.recall, ours.total.fscore) == pytest.approx(
        (total.precision, total.recall, total.fscore)
    )
