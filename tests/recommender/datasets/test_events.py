"""The one row -> event mapping (``recommender.datasets.events``) that the platform's
table importer and the library's benchmarks share: every payload it makes validates
against the platform's vocabulary, and rows that cannot be events say why."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recommender.datasets.events import RowError, event_of, question_key, to_events
from tests.recommender.datasets.conftest import assert_valid_events


@pytest.mark.parametrize("kind", ["question", "problem", "item", "skill", "quiz", "QUESTION"])
def test_every_question_family_row_with_correctness_is_one_graded_question(kind, event_validators):
    verb, payload = event_of(kind, "Box and Whisker", question="51424", correct=1.0, concepts=["Median"])
    assert (verb, payload) == (
        "quiz.graded",
        {
            "attempt": 1,
            "score": 1.0,
            "questions": [{"question": "51424", "correct": True}],
            "concepts": ["Median"],
        },
    )
    event_validators[verb](payload)


def test_scores_partial_credit_and_rows_without_correctness():
    assert event_of("question", "a", correct=0.5)[1]["score"] == 0.5  # partial credit: not correct
    assert event_of("question", "a", correct=0.5)[1]["questions"] == [{"question": "a", "correct": False}]
    assert event_of("question", "a", correct=1.0, score=0.75)[1]["score"] == 0.75  # score wins
    assert event_of("quiz", "a", score=1.0)[1]["questions"] == [{"question": "a", "correct": True}]
    assert event_of("question", "a", question="q9", answer="7") == (
        "quiz.answered",
        {"question": "q9", "answer": "7"},
    )
    assert event_of("lab", "l", correct=0.0) == ("lab.graded", {"score": 0.0, "tests": [], "passed": False})
    assert event_of("video", "v", position=np.float64(30)) == ("video.completed", {"position": 30.0})
    assert event_of("reading", "r") == ("navigation.page_viewed", {"path": "r"})


@pytest.mark.parametrize(
    "args, words",
    [
        (("exercise-set", "a"), "kind 'exercise-set' is not one of"),
        (("question", None), "no activity"),
        (("question", "a", {"correct": 2.0}), r"correct 2 is not in \[0, 1\]"),
        (("question", "a", {"score": "high"}), "score 'high' is not a number"),
        (("lab", "a", {}), "a lab row needs a score or correct"),
        (("video", "a", {"position": "end"}), "position 'end' is not a number"),
    ],
)
def test_rows_that_cannot_be_events_say_why(args, words):
    kind, activity, *options = args
    with pytest.raises(RowError, match=words):
        event_of(kind, activity, **(options[0] if options else {}))


def test_question_keys_are_vocabulary_slugs_made_deterministically():
    assert question_key("51424") == "51424"
    assert question_key(" Box and Whisker ") == "Box_and_Whisker"
    assert question_key("(-2)+(-3) = ?") == "-2_-3"
    assert question_key("!!") == "q"
    long_a, long_b = "x" * 90 + "a", "x" * 90 + "b"
    assert len(question_key(long_a)) == 80 and question_key(long_a) != question_key(long_b)
    assert question_key(long_a) == question_key(long_a)


def test_to_events_gives_valid_events_with_learner_keys(event_validators):
    frame = pd.DataFrame(
        {
            "learner": ["78276", "78276", "9"],
            "order": [0, 1, 0],
            "time": pd.Series([pd.NaT] * 3, dtype="datetime64[ns, UTC]"),
            "course": "assist2009_pid",
            "activity": ["Median", "Median", "v1"],
            "kind": ["question", "question", "video"],
            "question": ["51424", "51425", None],
            "concepts": ["Median", "Median;Mode", None],
            "correct": [1.0, 0.0, np.nan],
        }
    )
    events = to_events(frame)
    assert_valid_events(events, event_validators)
    assert list(events["learner_key"]) == ["78276", "78276", "9"]
    assert list(events["verb"]) == ["quiz.graded", "quiz.graded", "video.completed"]
    assert json.loads(events["payload"][1])["concepts"] == ["Median", "Mode"]
    assert (events["time"][1] - events["time"][0]) == pd.Timedelta(minutes=1)
