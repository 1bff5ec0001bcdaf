"""A generative model of MOOC learners, for two jobs:

- filling a fresh install with believable clickstream (``manage.py simulate_cohort``);
- measuring whether a recommendation policy helps learners learn, which logged clicks
  alone cannot show (``python -m recommender.simulate evaluate-policy``).

It shares no code with the recommender's own model: a simulator that borrowed the
model's assumptions would only confirm them. numpy only; the curriculum comes from
``course_content`` (or any ``Curriculum`` built by hand). See docs/simulator.md.
"""

from recommender.simulate.records import LearnerRun

from .cohort import simulate_cohort, simulate_learner
from .curriculum import Curriculum, CurriculumActivity, LabCheck, Question
from .learner import LearnerParams

__all__ = [
    "Curriculum",
    "CurriculumActivity",
    "LabCheck",
    "LearnerParams",
    "LearnerRun",
    "Question",
    "simulate_cohort",
    "simulate_learner",
]
