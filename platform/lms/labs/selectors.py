from .models import Submission


def latest_submission(*, learner, activity) -> Submission | None:
    return Submission.objects.filter(learner=learner, activity=activity).order_by("-created").first()
