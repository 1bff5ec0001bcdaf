"""The analysts' model registry page: versions side by side with their metrics and
plots, retrain with live progress, promote and roll back; policy experiments. Analysts
and staff only (``lms.accounts.roles``)."""

from collections.abc import Callable
from functools import wraps
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lms.accounts.roles import analyst_required
from lms.core.access import ANALYSTS, access
from recommender.compare import model_row

from .models import ModelVersion
from .registry import RetrainRefused, model_activate, retrain_request
from .serving import active_model

PLOTS = {"metrics": "metrics.png", "reliability": "reliability.png"}
SHOWN = [("next_activity", "hr@10"), ("next_activity", "mrr"), ("correctness", "auc"), ("correctness", "ece"),
         ("disengagement", "roc_auc")]  # fmt: skip


def _model_metric(version: ModelVersion, task: str, metric: str):

    return model_row((version.metrics or {}).get("results", {}).get(task))[1].get(metric)


@access(*ANALYSTS)
@analyst_required
def registry(request: HttpRequest) -> HttpResponse:
    versions = list(ModelVersion.objects.select_related("requested_by")[:20])
    from recommender.compare import PRIMARY, TOLERANCE, gate_rows

    rows = [{"v": v, "metrics": [_model_metric(v, t, m) for t, m in SHOWN],
             "gate": (v.metrics or {}).get("gate"), "differences": gate_rows((v.metrics or {}).get("gate"))}
            for v in versions]  # fmt: skip
    latest = next((v for v in versions if v.metrics), None)
    baselines = []
    if latest is not None:
        results = latest.metrics.get("results", {})
        names = sorted({n for t, _ in SHOWN for n in results.get(t, {}) if n != model_row(results.get(t))[0]})
        baselines = [
            {"name": n, "metrics": [results.get(t, {}).get(n, {}).get(m) for t, m in SHOWN]} for n in names
        ]
    training = any(v.status == ModelVersion.Status.TRAINING for v in versions)
    return render(request, "recommendations/registry.html", {
        "rows": rows, "columns": [f"{t.replace('_', ' ')} {m}" for t, m in SHOWN], "baselines": baselines,
        "latest": latest, "training": training, "serving": active_model(),
        "primary": PRIMARY.upper(), "tolerance": TOLERANCE,
    })  # fmt: skip


def registry_post(refused: type[Exception], anchor: str = "") -> Callable[[Callable[..., str]], Callable]:
    """An analyst's POST from the registry page: the view acts and returns what to tell
    them; ``refused`` raised is shown as an error instead. Either way, back to the page
    (at ``anchor``)."""

    def decorate(act: Callable[..., str]) -> Callable:
        @access(*ANALYSTS)
        @analyst_required
        @require_POST
        @wraps(act)
        def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                messages.success(request, act(request, *args, **kwargs))
            except refused as exc:
                messages.error(request, str(exc))
            return redirect(reverse("model-registry") + anchor)

        return view

    return decorate


@registry_post(RetrainRefused)
def retrain(request: HttpRequest) -> str:
    version = retrain_request(requested_by=request.user)
    return f"Retraining started ({version}); this page follows its progress."


@registry_post(RetrainRefused)
def activate(request: HttpRequest, number: int) -> str:
    version = get_object_or_404(ModelVersion, number=number)
    model_activate(version=version, reason=f"activated by {request.user} (was {version.status})")
    return f"v{number} is now served (every process within 30 s)."


@access(*ANALYSTS)
@analyst_required
def plot(request: HttpRequest, number: int, name: str) -> HttpResponse:
    version = get_object_or_404(ModelVersion, number=number)
    if name not in PLOTS or not version.path:
        raise Http404("No such plot")
    path = Path(version.path).parent / "report" / PLOTS[name]
    if not path.is_file():
        raise Http404("This version has no such plot")
    return FileResponse(path.open("rb"), content_type="image/png")


@access(*ANALYSTS)
@analyst_required
def experiments(request: HttpRequest) -> HttpResponse:
    """Start, stop and read A/B tests of recommendation policies."""
    from .experiments import (
        MIN_LEARNERS_PER_ARM,
        OUTCOMES,
        TITLE_MAX,
        ExperimentRefused,
        experiment_start,
        experiment_stop,
        experiment_summary,
    )
    from .models import PolicyExperiment

    if request.method == "POST":
        if "stop" in request.POST:
            experiment = get_object_or_404(PolicyExperiment, pk=request.POST.get("stop"))
            experiment_stop(experiment=experiment)
            messages.success(request, f"Stopped {experiment}.")
        else:
            arms = {
                arm: request.POST.get(f"weight-{arm}", "0").strip() or "0"
                for arm in PolicyExperiment.Arm.values
            }
            title = request.POST.get("title", "").strip()
            try:
                if not all(w.isdigit() for w in arms.values()):
                    raise ExperimentRefused("give each arm a whole-number weight (0 leaves it out)")
                experiment = experiment_start(title=title, arms=arms)
                messages.success(
                    request, f"Started {experiment}: personalized learners are now assigned to its arms."
                )
            except ExperimentRefused as exc:
                messages.error(request, str(exc))
        return redirect("policy-experiments")
    rows = [{"e": e, "arms": experiment_summary(experiment=e)} for e in PolicyExperiment.objects.all()[:10]]
    return render(request, "recommendations/experiments.html", {
        "rows": rows, "arms": PolicyExperiment.Arm.choices, "outcomes": OUTCOMES,
        "min_learners": MIN_LEARNERS_PER_ARM, "title_max": TITLE_MAX,
    })  # fmt: skip
