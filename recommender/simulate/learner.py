"""The learner model: who a simulated learner is, what they know, and how they answer.

Knowledge is a latent *mastery* per concept on the logit scale. It starts at the
learner's prior knowledge, grows with videos, readings, quiz feedback and lab practice
(each gain shrinking as mastery rises), and decays back toward the prior with time
away. Answers follow a two-parameter IRT curve with slips and guesses. Labs are a set of
functions to write; each is right with a probability from mastery, and when it is wrong
it is wrong in one of the ways the lab's known mistakes describe.

Every number below is a documented default (docs/simulator.md); every random draw comes
from the generator handed in, so a seed fixes everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .curriculum import CurriculumActivity, Question


@dataclass(frozen=True)
class LearnerParams:
    # -- who enrolls -------------------------------------------------------------------
    verified_share: float = 0.12  # share of learners on the verified track
    prior_mean: float = -1.2  # mean prior mastery of a concept (logit; sigmoid = 0.23)
    prior_sd: float = 1.0  # spread of prior knowledge between learners
    # -- learning (logit gain per event, scaled by 1 - p(mastered)) ---------------------
    learn_video: float = 0.9  # a fully watched lecture, per concept it covers
    learn_reading: float = 0.6
    learn_quiz: float = 0.3  # the feedback after an attempt, per concept of a missed question
    learn_lab: float = 0.7  # one lab attempt (practice), per concept of the lab
    learn_hint: float = 0.5  # reading a known-mistake hint, on the lab's concepts
    learn_sd: float = 0.3  # between-learner spread of the learning rate (log scale)
    forget_half_life_days: float = 21.0  # learned mastery halves back toward the prior
    # -- answering: p = guess + (1 - guess - slip) * sigmoid(a * (theta - b)) -----------
    discrimination: float = 1.4
    slip: float = 0.07
    guess_multiple: float = 0.1  # guessing a whole set of options right
    guess_numeric: float = 0.02
    difficulty_step: float = 0.7  # b = (difficulty - 3) * step
    lab_difficulty: float = 0.3  # b of a lab function
    hidden_only_failure: float = 0.3  # a mistake that passes the public tests
    # -- pace and rhythm -----------------------------------------------------------------
    pace_mean: float = 0.45  # mean chance of studying on a given weekday
    pace_sd: float = 0.6  # spread of pace between learners (logit)
    weekend_factor: float = 0.75  # weekend days relative to weekdays
    session_minutes: float = 35.0  # mean length of a study session (exponential, 10-150 minutes)
    evening_share: float = 0.55  # learners who study mostly in the evening
    # -- engagement and dropout (daily hazard) -------------------------------------------
    dropout_base: float = 0.03  # an average auditor on an ordinary day
    dropout_verified_factor: float = 0.2  # verified learners paid: they persist
    dropout_failure: float = 0.04  # added per recent failure (halves each day)
    dropout_behind: float = 0.012  # per week behind the soft deadlines
    dropout_away: float = 0.002  # per day since the learner was last active
    dropout_first_days: float = 0.08  # extra hazard in the first three days (shopping around)
    persistence_a: float = 2.0  # persistence ~ Beta(a, b): retakes, fixes, returns
    verified_persistence: float = 2.5  # added to a for verified learners (they paid)
    persistence_b: float = 2.0
    # -- video behaviour ----------------------------------------------------------------
    skip_interview: float = 0.65  # optional interviews skipped
    skip_known_video: float = 0.35  # max chance to skip a video whose concepts are known
    # p(watch to the end) = sigmoid(bias - seconds / scale + weight * (persistence - 0.5))
    watch_full_bias: float = 1.0
    watch_length_scale: float = 300.0
    watch_persistence: float = 1.5
    seek_back: float = 0.5  # chance per hard passage to seek back and rewatch it
    speeds: tuple[float, ...] = (0.75, 1.0, 1.25, 1.5, 2.0)
    speed_weights: tuple[float, ...] = (0.05, 0.55, 0.2, 0.15, 0.05)


@dataclass
class Traits:
    """One learner's fixed characteristics, drawn once."""

    verified: bool
    prior: float  # offset of prior mastery (logit)
    pace: float  # chance of studying on a weekday
    persistence: float  # 0..1
    learn_rate: float  # multiplier of every learning gain
    speed: float  # preferred playback speed
    hour: float  # usual start of a study session (hour of the day, UTC)

    @classmethod
    def draw(cls, rng: np.random.Generator, params: LearnerParams) -> Traits:
        verified = bool(rng.random() < params.verified_share)
        evening = rng.random() < params.evening_share
        return cls(
            verified=verified,
            prior=float(rng.normal(0.0, params.prior_sd)),
            pace=_sigmoid(
                _logit(params.pace_mean) + rng.normal(0.0, params.pace_sd) + (0.5 if verified else 0.0)
            ),
            persistence=float(
                rng.beta(
                    params.persistence_a + (params.verified_persistence if verified else 0.0),
                    params.persistence_b,
                )
            ),  # fmt: skip
            learn_rate=float(math.exp(rng.normal(0.0, params.learn_sd))),
            speed=float(
                rng.choice(params.speeds, p=np.asarray(params.speed_weights) / sum(params.speed_weights))
            ),
            hour=float((rng.normal(19.5, 2.0) if evening else rng.normal(11.0, 2.5)) % 24),
        )


@dataclass
class Knowledge:
    """Latent mastery per concept (logit), with lazy forgetting toward the prior."""

    params: LearnerParams
    prior: float  # learner's prior mastery (logit), the same for every concept
    mastery: dict[str, float] = field(default_factory=dict)
    touched: dict[str, float] = field(default_factory=dict)  # concept -> day last learned

    def theta(self, concept: str, day: float) -> float:
        if concept not in self.mastery:
            return self.prior
        learned = self.mastery[concept] - self.prior
        away = max(0.0, day - self.touched[concept])
        return self.prior + learned * 0.5 ** (away / self.params.forget_half_life_days)

    def mean_theta(self, concepts, day: float) -> float:
        concepts = list(concepts)
        return sum(self.theta(c, day) for c in concepts) / len(concepts) if concepts else self.prior

    def learn(self, concepts, gain: float, day: float) -> None:
        for concept in concepts:
            theta = self.theta(concept, day)
            self.mastery[concept] = theta + gain * (1.0 - _sigmoid(theta))
            self.touched[concept] = day

    def p_mastered(self, concepts, day: float) -> float:
        concepts = list(concepts)
        return sum(_sigmoid(self.theta(c, day)) for c in concepts) / len(concepts) if concepts else 0.0


def p_correct(question: Question, theta: float, params: LearnerParams) -> float:
    if question.type == "numeric":
        guess = params.guess_numeric
    elif question.type == "multiple":
        guess = params.guess_multiple
    else:
        guess = 1.0 / max(question.n_options, 2)
    b = (question.difficulty - 3) * params.difficulty_step
    return guess + (1.0 - guess - params.slip) * _sigmoid(params.discrimination * (theta - b))


def p_function_right(theta: float, params: LearnerParams) -> float:
    return (1.0 - params.slip) * _sigmoid(params.discrimination * (theta - params.lab_difficulty))


def is_hard(item: CurriculumActivity, knowledge: Knowledge, day: float) -> float:
    """How hard an item is for this learner now: 1 - p(mastered) of its concepts."""
    return 1.0 - knowledge.p_mastered(item.concepts, day) if item.concepts else 0.5


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))
