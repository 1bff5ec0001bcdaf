"""The quiz page (registered for the quiz kind in ``QuizzesConfig.ready()``, served at
the activity URL by ``lms.courses``): the questions with the last attempt's answers, and
a POST that submits an attempt."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .models import QuizAttempt
from .services import AttemptRefused, attempts_left, quiz_attempt_submit


def _quiz_answers(request: HttpRequest, questions) -> dict:
    answers = {}
    for q in questions:
        key = f"q-{q.slug}"
        if q.type == q.Type.MULTIPLE:
            answers[q.slug] = sorted(int(v) for v in request.POST.getlist(key) if v.isdigit())
        elif q.type == q.Type.SINGLE:
            value = request.POST.get(key, "")
            answers[q.slug] = int(value) if value.isdigit() else None
        else:
            answers[q.slug] = request.POST.get(key, "").strip() or None
    return answers


def quiz_page(request: HttpRequest, activity) -> HttpResponse:
    questions = list(activity.questions.filter(retired=False))
    if request.method == "POST":
        try:
            quiz_attempt_submit(
                learner=request.user, activity=activity, answers=_quiz_answers(request, questions)
            )
        except AttemptRefused as exc:
            messages.error(request, str(exc))
        return redirect(request.path)
    last = QuizAttempt.objects.filter(learner=request.user, activity=activity).first()
    shown = []
    for q in questions:
        answer = last.answers.get(q.slug) if last else None
        chosen = set(answer if isinstance(answer, list) else [answer]) if answer is not None else set()
        options = [{**o, "index": i, "chosen": i in chosen} for i, o in enumerate(q.options)]
        shown.append(
            {
                "q": q,
                "options": options,
                "answer": answer,
                "correct": last.results.get(q.slug) if last else None,
            }
        )
    return render(
        request,
        "quizzes/activity_quiz.html",
        {
            "activity": activity,
            "course": activity.course,
            "questions": shown,
            "last": last,
            "attempts_left": attempts_left(learner=request.user, activity=activity),
        },
    )
