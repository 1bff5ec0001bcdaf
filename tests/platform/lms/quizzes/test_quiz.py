"""Weekly quizzes: answers graded per question type, explanations for the chosen
options, attempts limited per 8 hours, events recorded."""

import pytest

from lms.courses.models import Activity, Question
from lms.quizzes.models import QuizAttempt
from lms.quizzes.services import question_correct
from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

OPTIONS = [
    {"text": "max(0, z)", "correct": True, "explanation": "ReLU keeps positives."},
    {"text": "1 / (1 + exp(-z))", "correct": False, "explanation": "That is the sigmoid."},
]
MULTI = [
    {"text": "tanh", "correct": True, "explanation": "tanh is an activation."},
    {"text": "ReLU", "correct": True, "explanation": "ReLU is an activation."},
    {"text": "Adam", "correct": False, "explanation": "Adam is an optimizer."},
]


@pytest.fixture
def quiz():
    activity = ActivityFactory(slug="c1-w1-quiz", kind=Activity.Kind.QUIZ, max_attempts=2, pass_fraction=0.6,
                               week__course__slug="c1")  # fmt: skip
    Question.objects.create(activity=activity, slug="relu", position=1, type="single", prompt="Which is ReLU?",
                            difficulty=1, options=OPTIONS)  # fmt: skip
    Question.objects.create(activity=activity, slug="activations", position=2, type="multiple",
                            prompt="Which are activations?", difficulty=2, options=MULTI)  # fmt: skip
    Question.objects.create(activity=activity, slug="params", position=3, type="numeric", prompt="Parameters of a 4->3 layer?",
                            difficulty=2, answer=15, tolerance=0, explanation="3x4 weights plus 3 biases.")  # fmt: skip
    return activity


@pytest.mark.parametrize(
    "slug, answer, right",
    [
        ("relu", 0, True), ("relu", 1, False), ("relu", None, False), ("relu", "0", False),
        ("activations", [0, 1], True), ("activations", [1, 0], True), ("activations", [0], False),
        ("activations", [0, 1, 2], False), ("params", "15", True), ("params", 15.0, True), ("params", "14", False),
        ("params", "nan", False), ("params", "fifteen", False),
    ],
)  # fmt: skip
def test_each_question_type_is_graded(quiz, slug, answer, right):
    assert question_correct(quiz.questions.get(slug=slug), answer) is right


def test_submitting_shows_score_explanations_and_records_events(client, quiz, django_assert_max_num_queries):
    learner = UserFactory(username="quizzer")
    client.force_login(learner)
    url = f"/courses/c1/{quiz.slug}/"
    client.get(url)  # warm per-process caches (the catalog graph) as a running site has them
    with django_assert_max_num_queries(10):
        assert client.get(url).status_code == 200
    response = client.post(url, {"q-relu": "1", "q-activations": ["0", "1"], "q-params": "15"})
    assert response.status_code == 302
    attempt = QuizAttempt.objects.get()
    assert attempt.results == {"relu": False, "activations": True, "params": True}
    assert attempt.score == pytest.approx(2 / 3) and attempt.passed
    page = client.get(url).content.decode()
    assert (
        "Attempt 1: 67%" in page and "That is the sigmoid." in page and "3x4 weights plus 3 biases." in page
    )
    assert "ReLU keeps positives." not in page  # an unchosen option's explanation would give the answer away
    graded = Event.objects.get(verb="quiz.graded")
    assert graded.payload["score"] == pytest.approx(2 / 3) and graded.activity_id == quiz.pk
    assert Event.objects.filter(verb="quiz.submitted", learner=learner).count() == 1


def test_attempts_are_limited(client, quiz):
    client.force_login(UserFactory(username="retaker"))
    url = f"/courses/c1/{quiz.slug}/"
    for _ in range(2):
        client.post(url, {"q-relu": "0"})
    page = client.post(url, {"q-relu": "0"}, follow=True).content.decode()
    assert "used your 2 attempts" in page
    assert QuizAttempt.objects.count() == 2
