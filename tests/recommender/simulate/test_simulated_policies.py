"""What the model-based policy sees of a simulated learner: the candidates carry the
soft deadlines (week w is due 7 * w days after enrollment), as the platform's do."""

import datetime as dt

from recommender.simulate.records import LearnerView, Progress
from recommender.simulate.simulated_policies import _candidates

from .test_simulator import START, tiny


def view(days: float, progress: dict[str, Progress] | None = None) -> LearnerView:
    enrolled = {"id": "e1", "time": START, "verb": "enrollment.activated", "course": "c", "payload": {}}
    return LearnerView(tiny(), progress or {}, [enrolled], START + dt.timedelta(days=days), verified=False)


def test_graded_work_is_due_a_week_per_course_week_after_enrollment():
    due = {c.slug: c.due for c in _candidates(view(8))[0]}
    assert due == {"v1": False, "quiz1": True, "v2": False, "lab1": False}
    assert not any(c.due for c in _candidates(view(6))[0])


def test_passed_work_is_never_due():
    passed = {"quiz1": Progress(started=START, completed=START, score=1.0, passed=True)}
    assert not any(c.due for c in _candidates(view(15, passed))[0] if c.slug == "quiz1")
    assert [c.slug for c in _candidates(view(15, passed))[0] if c.due] == ["lab1"]
