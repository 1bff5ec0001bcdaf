"""Markdown inline code in quiz prompts, options and explanations: backticks become
<code>, everything else stays text (HTML escaped, inside code too; quiz arithmetic such
as 3*3 is not emphasis)."""

import pytest

from lms.courses.models import Activity, Question
from lms.courses.services import enrollment_create
from lms.courses.templatetags.course_text import inline_code
from tests.factories import ActivityFactory, UserFactory


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Use `np.dot(W, A)`", "Use <code>np.dot(W, A)</code>"),
        ("`<script>alert(1)</script>`", "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"),
        (
            "<img src=x onerror=alert(1)> & `a<b`",
            "&lt;img src=x onerror=alert(1)&gt; &amp; <code>a&lt;b</code>",
        ),
        ("3*3 multiplications x 6*6 _n_", "3*3 multiplications x 6*6 _n_"),
        ("[a link](javascript:alert(1))", "[a link](javascript:alert(1))"),
        ("an unclosed `backtick", "an unclosed `backtick"),
        ("", ""),
    ],
)
def test_inline_code_only_and_everything_escaped(text, html):
    assert inline_code(text) == html


@pytest.mark.django_db
def test_the_quiz_page_shows_options_with_code(client):
    quiz = ActivityFactory(slug="code-quiz", kind=Activity.Kind.QUIZ, week__course__slug="code-course")
    Question.objects.create(activity=quiz, slug="q", position=1, type="single", difficulty=1,
                            prompt="Which line computes `Z`?",
                            options=[{"text": "`Z = np.dot(W, A) + b`", "correct": True, "explanation": "`W` first."},
                                     {"text": "<b>bold</b> `Z = A * W`", "correct": False, "explanation": "No."}])  # fmt: skip
    learner = UserFactory(username="code-learner")
    enrollment_create(user=learner, course=quiz.course)
    client.force_login(learner)
    html = client.get(f"/courses/code-course/{quiz.slug}/").content.decode()
    assert "Which line computes <code>Z</code>?" in html
    assert "<code>Z = np.dot(W, A) + b</code>" in html
    assert "&lt;b&gt;bold&lt;/b&gt; <code>Z = A * W</code>" in html and "<b>bold</b>" not in html
    assert "`" not in html.split('class="quiz"')[1].split("</form>")[0]  # no raw backticks left
