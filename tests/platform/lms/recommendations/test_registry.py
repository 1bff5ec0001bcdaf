"""Retraining, the registry and serving, for real: a simulated cohort is exported,
trained on, evaluated against the baselines, registered and (maybe) promoted; broken
artifacts and failed runs leave serving as it was; one retrain at a time; rollback;
and the next-steps API with its permissions."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from lms.courses.models import Course, CourseRole
from lms.courses.services import enrollment_create
from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import RetrainRefused, gate, model_activate, retrain_request
from lms.recommendations.serving import active_model, serving_forget
from lms.tracking.models import Event
from tests.factories import UserFactory, analyst_user

pytestmark = pytest.mark.django_db
COURSE = "neural-networks-deep-learning"


def tiny_config():
    from recommender.train import TrainConfig

    return TrainConfig(epochs=1, d_model=32, n_layers=1, n_heads=2, d_ff=64, max_len=64, batch_size=16)


@pytest.fixture
def cohort(settings, tmp_path):
    settings.MODEL_REGISTRY_DIR = tmp_path / "models"
    call_command("import_course", "--all", stdout=io.StringIO())
    call_command("simulate_cohort", "--course", COURSE, "--learners", "60", "--days", "40", "--seed", "2",
                 "--start", "2026-04-06", "--no-stats", stdout=io.StringIO())  # fmt: skip
    serving_forget()
    yield
    serving_forget()


@pytest.fixture
def trained(cohort):
    version = retrain_request(run_now=True, train_config=tiny_config())
    assert version.status in (ModelVersion.Status.ACTIVE, ModelVersion.Status.CANDIDATE), version.reason
    return version


def test_a_retrain_registers_a_version_with_metrics_and_a_reason(trained):
    version = ModelVersion.objects.get(pk=trained.pk)
    assert Path(version.path, "config.json").exists() or any(Path(version.path).iterdir())
    results = version.metrics["results"]
    assert any(name.startswith("model") for name in results["next_activity"])
    assert {"hr@10", "mrr"} <= set(next(iter(results["next_activity"].values())))
    assert version.reason.startswith(("promoted", "kept as a candidate")) and "hr@10" in version.reason
    assert version.learners == 60 and version.progress == 1.0
    assert not (Path(version.path).parent / "events.parquet").exists()  # the export does not linger
    if version.status == ModelVersion.Status.CANDIDATE:  # the gate said no: activate by hand
        model_activate(version=version)
    loaded = active_model()
    assert loaded.version.pk == version.pk and loaded.recommender is not None


def test_one_retrain_at_a_time(cohort):
    ModelVersion.objects.create(number=1, status=ModelVersion.Status.TRAINING, stage="training")
    with pytest.raises(RetrainRefused, match="already running"):
        retrain_request()
    out = io.StringIO()
    with pytest.raises(Exception, match="already running"):
        call_command("retrain", stdout=out)


def test_a_failed_retrain_is_recorded_and_serving_is_unchanged(trained, settings, monkeypatch):
    model_activate(version=trained) if trained.status != "active" else None
    import recommender.train as train_module

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory (simulated)")

    monkeypatch.setattr(train_module, "train", broken)
    failed = retrain_request(run_now=True, train_config=tiny_config())
    assert failed.status == ModelVersion.Status.FAILED and "out of memory" in failed.reason
    serving_forget()
    assert active_model().version.pk == trained.pk and active_model().recommender is not None


def test_a_corrupt_artifact_falls_back_to_the_rules_and_health_says_so(trained, client):
    if trained.status != "active":
        model_activate(version=trained)
    weights = Path(trained.path) / "model.pt"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # truncated
    serving_forget()
    loaded = active_model()
    assert loaded.recommender is None and "could not be loaded" in loaded.error
    health = client.get("/healthz").json()
    assert (
        health["checks"]["model"]["ok"] is False
        and "could not be loaded" in health["checks"]["model"]["detail"]
    )
    learner = UserFactory()
    enrollment_create(user=learner, course=Course.objects.get(slug=COURSE))
    client.force_login(learner)
    assert client.get("/").status_code == 200
    shown = Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").get()
    assert shown.payload["model"] == "rules-v1"


def test_rollback_to_an_earlier_version(trained):
    first = ModelVersion.objects.get(pk=trained.pk)
    if first.status != "active":
        model_activate(version=first)
    second = retrain_request(run_now=True, train_config=tiny_config())
    model_activate(version=ModelVersion.objects.get(pk=second.pk))
    assert ModelVersion.objects.get(pk=first.pk).status == ModelVersion.Status.RETIRED
    call_command("models", "--activate", str(first.number), stdout=io.StringIO())
    assert ModelVersion.objects.get(pk=first.pk).status == ModelVersion.Status.ACTIVE
    assert ModelVersion.objects.get(pk=second.pk).status == ModelVersion.Status.RETIRED


def test_the_gate_needs_every_baseline_and_the_active_version_beaten():
    results = {
        "next_activity": {
            "model (transformer)": {"hr@10": 0.6},
            "markov": {"hr@10": 0.5},
            "syllabus": {"hr@10": 0.55},
        },
        "correctness": {"model (transformer)": {"auc": 0.7}, "irt": {"auc": 0.72}},
    }
    ok, reason = gate(results, None, None)
    assert not ok and "correctness auc: 0.7000 <= irt 0.7200" in reason
    results["correctness"]["irt"]["auc"] = 0.65
    assert gate(results, None, None)[0]
    active = ModelVersion(number=3)
    better = {"next_activity": {"model (gru)": {"hr@10": 0.7}}, "correctness": {"model (gru)": {"auc": 0.6}}}
    ok, reason = gate(results, better, active)
    assert not ok and "active model-v3 0.7000" in reason


def test_next_steps_api_with_permissions(trained, client):
    if trained.status != "active":
        model_activate(version=trained)
    course = Course.objects.get(slug=COURSE)
    learner, stranger, teacher, analyst, staff = (
        UserFactory(),
        UserFactory(),
        UserFactory(),
        analyst_user(),
        UserFactory(is_staff=True),
    )
    enrollment_create(user=learner, course=course)
    CourseRole.objects.create(user=teacher, course=course)
    client.force_login(learner)
    body = client.get("/api/v1/me/next-steps").json()
    assert body["policy"] == f"model-v{trained.number}" and len(body["steps"]) == 3
    assert all(step["reason"] and step["url"].startswith(f"/courses/{COURSE}/") for step in body["steps"])
    assert Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").count() == 1
    for viewer, status in ((teacher, 200), (analyst, 200), (staff, 200), (stranger, 404)):
        client.force_login(viewer)
        response = client.get(f"/api/v1/me/next-steps?learner={learner.pk}")
        assert response.status_code == status, viewer
        # By id only: never the learner's username (an analyst sees pseudonyms).
        assert learner.username not in response.text
    assert (
        Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").count() == 1
    )  # not shown to them
    assert client.get("/api/v1/me/next-steps?learner=abc").status_code == 400
    client.logout()
    assert client.get("/api/v1/me/next-steps").status_code == 403


def test_home_uses_the_active_model_within_the_query_budget(trained, client, django_assert_max_num_queries):
    if trained.status != "active":
        model_activate(version=trained)
    learner = UserFactory()
    enrollment_create(user=learner, course=Course.objects.get(slug=COURSE))
    client.force_login(learner)
    client.get("/")  # warm the per-process caches (catalog graph, the loaded model)
    with django_assert_max_num_queries(10):
        page = client.get("/")
    assert page.status_code == 200 and f"model-v{trained.number}" in page.text
    shown = (
        Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").order_by("-received").first()
    )
    assert shown.payload["model"] == f"model-v{trained.number}" and len(shown.payload["items"]) == 3


def test_the_analysts_registry_page(trained, client, django_capture_on_commit_callbacks):
    student, analyst = UserFactory(), analyst_user()
    assert client.get("/staff/models/")["Location"].startswith("/accounts/login/")  # not the admin's
    client.force_login(student)
    assert client.get("/staff/models/").status_code == 403
    assert client.post(f"/staff/models/{trained.number}/activate").status_code == 403
    assert ModelVersion.objects.get(pk=trained.pk).status == trained.status  # nothing changed
    client.force_login(analyst)
    page = client.get("/staff/models/")
    assert page.status_code == 200 and f"v{trained.number}" in page.text and "markov" in page.text.lower()
    assert client.get(f"/staff/models/{trained.number}/metrics.png")["Content-Type"] == "image/png"
    assert client.get(f"/staff/models/{trained.number}/nothing.png").status_code == 404
    if trained.status == "candidate":
        client.post(f"/staff/models/{trained.number}/activate")
        assert ModelVersion.objects.get(pk=trained.pk).status == "active"
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/staff/models/retrain", follow=True)
    assert "Retraining started" in response.text and "refreshes every 5 s" in response.text
    response = client.post("/staff/models/retrain", follow=True)
    assert "already running" in response.text


def test_a_loaded_model_is_kept_out_of_the_collectors_full_walks(trained):
    """Serving freezes what lives as long as the process once a model loads, so the
    cyclic collector's full collections do not pause requests walking it."""
    import gc

    if trained.status != "active":
        model_activate(version=trained)
    gc.unfreeze()
    serving_forget()
    assert gc.get_freeze_count() == 0
    assert active_model().recommender is not None
    assert gc.get_freeze_count() > 100_000  # the framework, torch and the model
