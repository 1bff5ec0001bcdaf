"""A small synthetic clickstream in the canonical export schema, for the recommender's
tests (the learner simulator in ``recommender/simulate`` will replace it).

One linear course of 30 activities in 10 units (video A, sometimes video B, a quiz of
3-5 questions, sometimes a lab). Each learner has an ability and a diligence. Learned
structure the models can find, on purpose:

* correctness = sigmoid(1.3 * ability - difficulty + 0.9 * (watched fraction of the
  unit's videos - 0.5) + 0.4 * (attempt - 1)): ability is visible through earlier
  quizzes, watching through the video events;
* a failed quiz (score < 0.6) sends the learner back to the unit's video A, then to a
  retake (up to 3 attempts), so the next activity depends on the quiz outcome;
* able, less diligent learners skip videos;
* learners drop out after a session with a probability that grows with recent
  failures and low diligence; completers stop too.
"""

from __future__ import annotations

import json
import math
import random
import uuid

import numpy as np
import pandas as pd
import pytest

COURSE = "dl-101"
START = pd.Timestamp("2026-01-05T08:00:00Z")


def course_activities() -> list[dict]:
    """The syllabus: [{slug, kind, unit, questions: [(slug, difficulty)]}] in order."""
    rng = random.Random(1234)
    acts = []
    for u in range(10):
        acts.append({"slug": f"u{u}-video-a", "kind": "video", "unit": u})
        if u % 2 == 0:
            acts.append({"slug": f"u{u}-video-b", "kind": "video", "unit": u})
        n_q = 3 + u % 3
        questions = [(f"q{i + 1}", rng.gauss(-0.3 + 0.1 * u, 1.0)) for i in range(n_q)]
        acts.append({"slug": f"u{u}-quiz", "kind": "quiz", "unit": u, "questions": questions})
        if u % 2 == 1:
            acts.append({"slug": f"u{u}-lab", "kind": "lab", "unit": u})
    return acts


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def make_clickstream(n_learners: int = 300, seed: int = 0, days: float = 21.0) -> pd.DataFrame:
    """Deterministic synthetic events (canonical schema) for ``n_learners`` learners."""
    rng = random.Random(seed)
    acts = course_activities()
    unit_video = {a["unit"]: i for i, a in reversed(list(enumerate(acts))) if a["kind"] == "video"}
    end = days * 86_400.0
    rows: list[tuple] = []

    for learner in range(1, n_learners + 1):
        ability = rng.gauss(0.0, 1.0)
        diligence = rng.random()
        t = rng.uniform(0, 4) * 86_400.0 + rng.uniform(0, 6) * 3600.0
        ptr, attempt, recent_fails, session_no = 0, 1, 0, 0
        watched = [0.0] * 10
        learner_id = 1000 + learner

        def emit(verb: str, activity: str | None, payload: dict, learner_id=learner_id) -> None:
            # called within the iteration that defines it: the current time and session
            session = f"s{learner_id}-{session_no}"  # noqa: B023
            rows.append((learner_id, t, verb, session, activity, payload))  # noqa: B023

        while t < end and ptr < len(acts):
            session_no += 1
            emit("navigation.page_viewed", None, {"path": f"/courses/{COURSE}/"})
            t += rng.uniform(2, 20)
            if rng.random() < 0.08 and ptr > 0:  # a short review of an earlier activity
                back = acts[rng.randrange(ptr)]
                emit("navigation.page_viewed", back["slug"], {"path": f"/a/{back['slug']}"})
                t += rng.uniform(20, 200)
            steps = rng.randint(2, 6)
            while steps > 0 and ptr < len(acts) and t < end:
                steps -= 1
                act = acts[ptr]
                slug, unit = act["slug"], act["unit"]
                if act["kind"] == "video":
                    if attempt == 1 and rng.random() < 0.1 + 0.35 * (ability > 0.8) * (1 - diligence):
                        ptr += 1  # skipped without a trace
                        continue
                    duration = rng.uniform(300, 900)
                    emit("video.played", slug, {"position": 0})
                    frac = (
                        rng.uniform(0.85, 1.0)
                        if rng.random() < 0.4 + 0.6 * diligence
                        else rng.uniform(0.1, 0.7)
                    )
                    t += duration * frac + rng.uniform(5, 60)
                    payload = {
                        "position": duration * frac,
                        "segments": [[0, duration * frac]],
                        "duration": duration,
                    }
                    emit("video.completed" if frac > 0.85 else "video.paused", slug, payload)
                    watched[unit] = min(1.0, watched[unit] + frac * 0.6)
                    t += rng.uniform(5, 120)
                    ptr += 1
                elif act["kind"] == "quiz":
                    emit("quiz.started", slug, {"attempt": attempt})
                    t += rng.uniform(10, 60)
                    graded = []
                    for q, difficulty in act["questions"]:
                        p = _sigmoid(
                            1.3 * ability - difficulty + 0.9 * (watched[unit] - 0.5) + 0.4 * (attempt - 1)
                        )
                        correct = rng.random() < p
                        answer = "a" if correct else rng.choice("bcd")
                        emit("quiz.answered", slug, {"question": q, "answer": answer, "correct": correct})
                        graded.append({"question": q, "correct": correct, "answer": answer})
                        t += rng.uniform(15, 120)
                    emit("quiz.submitted", slug, {"attempt": attempt})
                    t += rng.uniform(0.5, 2)
                    score = sum(g["correct"] for g in graded) / len(graded)
                    passed = score >= 0.6
                    emit(
                        "quiz.graded",
                        slug,
                        {"attempt": attempt, "score": score, "passed": passed, "questions": graded},
                    )
                    t += rng.uniform(5, 60)
                    if passed or attempt >= 3:
                        ptr += 1
                        attempt = 1
                        recent_fails = max(0, recent_fails - 1)
                    else:
                        recent_fails += 1
                        attempt += 1
                        if rng.random() < 0.75:
                            ptr = unit_video[unit]  # back to the unit's first video, then retake
                        # else: retake straight away
                else:  # lab
                    emit("lab.opened", slug, {})
                    t += rng.uniform(30, 300)
                    for _ in range(rng.randint(1, 3)):
                        emit("lab.ran", slug, {})
                        t += rng.uniform(1, 5)
                        s = min(1.0, max(0.0, _sigmoid(1.2 * ability + rng.gauss(0, 1)) + 0.1))
                        emit("lab.graded", slug, {"score": round(s, 2), "tests": [], "mode": "run"})
                        t += rng.uniform(30, 400)
                    emit("lab.submitted", slug, {})
                    t += rng.uniform(1, 5)
                    s = min(1.0, max(0.0, _sigmoid(1.2 * ability + 0.5 + rng.gauss(0, 1))))
                    emit("lab.graded", slug, {"score": round(s, 2), "tests": [], "mode": "submit"})
                    t += rng.uniform(5, 60)
                    ptr += 1
            # the session ends: drop out, or come back after a while
            if rng.random() < 0.03 + 0.09 * min(recent_fails, 3) + 0.06 * (1 - diligence):
                break
            t += rng.expovariate(1.0 / ((0.25 + 1.5 * (1 - diligence)) * 86_400.0)) + 1800.0

    ids_rng = random.Random(seed + 1)
    df = pd.DataFrame(rows, columns=["learner_id", "t", "verb", "session_id", "activity", "payload"])
    df = df[df["t"] < end].reset_index(drop=True)
    time = START + pd.to_timedelta(np.round(df["t"].to_numpy() * 1e6).astype("int64"), unit="us")
    out = pd.DataFrame(
        {
            "event_id": [str(uuid.UUID(int=ids_rng.getrandbits(128))) for _ in range(len(df))],
            "learner_id": df["learner_id"].astype("int64"),
            "time": time,
            "verb": df["verb"],
            "session_id": df["session_id"],
            "course": COURSE,
            "activity": df["activity"],
            "payload": [json.dumps(p) for p in df["payload"]],
            "source": "synthetic",
            "received": time + pd.Timedelta(seconds=1),
        }
    )
    out["time"] = out["time"].dt.as_unit("us")
    out["received"] = out["received"].dt.as_unit("us")
    return out


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one intra-op thread, and a second one only spins
    against whatever else the machine is running (a 50x slow-down under load)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def clickstream() -> pd.DataFrame:
    """120 learners: enough for every target, small enough for tiny training runs."""
    return make_clickstream(n_learners=120, seed=0)


def _parquet(frame: pd.DataFrame, tmp_path_factory, folder: str) -> str:
    """``frame`` written to ``events.parquet`` in a new temporary folder; its path."""
    path = tmp_path_factory.mktemp(folder) / "events.parquet"
    frame.to_parquet(path, index=False)
    return str(path)


@pytest.fixture(scope="session")
def clickstream_parquet(clickstream, tmp_path_factory) -> str:
    return _parquet(clickstream, tmp_path_factory, "events")


def events_frame(rows: list[tuple], start: pd.Timestamp = START) -> pd.DataFrame:
    """Hand-written events: rows of (learner_id, minutes after ``start``, verb, activity,
    payload dict) in the canonical schema."""
    time = [start + pd.Timedelta(minutes=m) for _, m, _, _, _ in rows]
    return pd.DataFrame(
        {
            "event_id": [str(uuid.UUID(int=i + 1)) for i in range(len(rows))],
            "learner_id": pd.Series([r[0] for r in rows], dtype="int64"),
            "time": pd.to_datetime(time, utc=True),
            "verb": [r[2] for r in rows],
            "session_id": "s",
            "course": COURSE,
            "activity": [r[3] for r in rows],
            "payload": [json.dumps(r[4]) for r in rows],
            "source": "test",
            "received": pd.to_datetime(time, utc=True),
        }
    )


def quiz(score: float, *answers: tuple[str, bool], attempt: int = 1) -> dict:
    return {
        "attempt": attempt,
        "score": score,
        "passed": score >= 0.6,
        "questions": [{"question": q, "correct": c, "answer": "x"} for q, c in answers],
    }


@pytest.fixture(scope="session")
def small_clickstream() -> pd.DataFrame:
    """40 learners: for the training round trips."""
    return make_clickstream(n_learners=40, seed=3)


@pytest.fixture(scope="session")
def small_parquet(small_clickstream, tmp_path_factory) -> str:
    return _parquet(small_clickstream, tmp_path_factory, "small")


def tiny_config(**overrides):
    """A model small enough for a training run of a second or two; max_len 64 so the
    windowing of long sequences is exercised."""
    from recommender.train import TrainConfig

    base = dict(
        d_model=16, n_heads=2, d_ff=32, n_layers=1, max_len=64, batch_size=16, min_steps=8, epochs=1, lr=3e-3
    )
    return TrainConfig(**{**base, **overrides})
