"""Retraining and the model registry (write side).

``retrain_request`` opens a version in status *training*; a database constraint allows
one at a time, so a second request is refused with a clear message. The Celery task
``recommendations.retrain`` (queue ``training``) runs ``model_train``:

1. export the events (Parquet, the analysts' format) and the syllabus order;
2. train (``recommender.train``; a redelivered task resumes from the last checkpoint);
3. evaluate on held-out learners, next to every baseline and the active version;
4. promote when the new version beats the active version and every baseline on the gate
   metrics; otherwise keep it as a candidate, with the reason recorded.

Any failure marks the version failed with the reason; serving is untouched until a
promotion. ``model_activate`` promotes (or rolls back to) any trained version.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from lms.core.dispatch import task_send_on_commit

from .models import ModelVersion

log = logging.getLogger(__name__)

# (task, metric): higher is better for both. The candidate must beat each baseline's
# best value and the active version's value on the same held-out learners.
GATE = (("next_activity", "hr@10"), ("correctness", "auc"))


class RetrainRefused(Exception):
    pass


def _code_version() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
                             text=True, timeout=5, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def retrain_request(*, requested_by=None, run_now: bool = False, train_config=None) -> ModelVersion:
    """Open a training version (with ``train_config``, a ``recommender.train.TrainConfig``,
    else the library's defaults) and queue its task; ``run_now`` trains in this process."""
    from .tasks import retrain as retrain_task

    try:
        with transaction.atomic():
            number = (ModelVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ModelVersion.objects.create(
                number=number, requested_by=requested_by, stage="queued", code_version=_code_version(),
                config={"training": dataclasses.asdict(train_config)} if train_config else {},
            )  # fmt: skip
    except IntegrityError as exc:
        running = ModelVersion.objects.filter(status=ModelVersion.Status.TRAINING).first()
        raise RetrainRefused(
            f"a retrain is already running ({running}); wait for it to finish" if running else str(exc)
        ) from exc
    if run_now:
        return model_train(version_id=version.pk)
    task_send_on_commit(retrain_task, version.pk)  # broker down: re-sent later
    return version


def _stage(version: ModelVersion, stage: str, progress: float) -> None:
    version.stage, version.progress = stage, progress
    ModelVersion.objects.filter(pk=version.pk).update(stage=stage, progress=progress)


def model_train(*, version_id: int) -> ModelVersion:
    """The retrain task body. Only a version still in training is worked on, so a task
    that runs twice after it finished does nothing."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or version.status != ModelVersion.Status.TRAINING:
        return version
    folder = Path(settings.MODEL_REGISTRY_DIR) / f"v{version.number}"
    try:
        _train_and_gate(version, folder)
    except Exception as exc:  # any failure: recorded, serving unchanged
        log.exception("retrain of v%s failed", version.number)
        version.status, version.reason, version.finished = (
            ModelVersion.Status.FAILED,
            f"{type(exc).__name__}: {exc}",
            timezone.now(),
        )
        version.stage = "failed"
        version.save(update_fields=["status", "reason", "finished", "stage"])
    return version


def _train_and_gate(version: ModelVersion, folder: Path) -> None:
    from lms.courses.models import Activity
    from lms.tracking.interop.export import events_export
    from recommender.evaluate import evaluate
    from recommender.train import TrainConfig, train

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "events.parquet"
    _stage(version, "exporting events", 0.02)
    if not data.exists():  # a redelivered task reuses its export (and resumes training)
        events_export(format="parquet", out=data)
    syllabus = folder / "syllabus.json"
    order = list(
        Activity.objects.filter(retired=False, external_source="")
        .order_by("course__number", "week__position", "position")
        .values_list("slug", flat=True)
    )
    syllabus.write_text(json.dumps(order))

    _stage(version, "training", 0.05)
    cfg = TrainConfig.from_dict(version.config.get("training", {}))  # as requested, else the defaults
    total = max(1, int(getattr(cfg, "epochs", 1)))

    def on_batch_end(epoch: int, step: int) -> None:
        if step % 20 == 0:
            _stage(version, f"training: epoch {epoch + 1} of {total}", 0.05 + 0.75 * min(1.0, epoch / total))

    train(data, folder / "model", cfg, resume=True, code_version=version.code_version,
                   progress=False, on_batch_end=on_batch_end)  # fmt: skip
    _stage(version, "evaluating on held-out learners", 0.85)
    report = evaluate(data, folder / "model", folder / "report", syllabus=syllabus, progress=False,
                      record_metrics=True)  # fmt: skip
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    active_report = None
    if active is not None:
        from recommender.artifact import load_artifact

        holdout = folder / "holdout.txt"  # score the active version on the same held-out learners
        holdout.write_text("\n".join(str(i) for i in load_artifact(folder / "model").holdout_ids() or []))
        try:
            active_report = evaluate(data, Path(active.path), None, syllabus=syllabus, progress=False,
                                     holdout_file=holdout)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - an old version that cannot be scored cannot block the new one
            log.warning("could not evaluate the active version %s: %s", active, exc)
    promote, reason = gate(report["results"], active_report["results"] if active_report else None, active)
    window = report.get("data_window") or {}
    version.path = str(folder / "model")
    version.metrics = _jsonable(report)
    version.config = {**version.config, "model": report.get("model", {})}
    version.events = int(report["evaluation"].get("n_test_events", 0))
    version.learners = int(report["evaluation"]["n_train_learners"] + report["evaluation"]["n_test_learners"])
    version.data_start, version.data_end = window.get("start"), window.get("end")
    version.reason, version.finished = reason, timezone.now()
    version.status, version.stage, version.progress = ModelVersion.Status.CANDIDATE, "trained", 1.0
    version.save()
    if data.exists():
        data.unlink()  # the export holds personal data: it does not outlive the training run
    if promote:
        model_activate(version=version, reason=reason)


def gate(results: dict, active_results: dict | None, active: ModelVersion | None) -> tuple[bool, str]:
    """Promote only when the model beats every baseline and the active version on each
    gate metric; the reason lists the comparisons either way."""
    lines, ok = [], True
    for task, metric in GATE:
        scores = results.get(task, {})
        model_name = next((n for n in scores if n.startswith("model")), None)
        model = (scores.get(model_name) or {}).get(metric) if model_name else None
        if model is None:
            return False, f"the model has no {task} {metric}"
        rivals = {
            n: v.get(metric) for n, v in scores.items() if n != model_name and v.get(metric) is not None
        }
        if active_results is not None:
            active_scores = active_results.get(task, {})
            active_name = next((n for n in active_scores if n.startswith("model")), None)
            if active_name and active_scores[active_name].get(metric) is not None:
                rivals[f"active {active.label}"] = active_scores[active_name][metric]
        best_name, best = max(rivals.items(), key=lambda kv: kv[1]) if rivals else ("nothing", float("-inf"))
        beats = model > best
        ok &= beats
        lines.append(f"{task} {metric}: {model:.4f} {'>' if beats else '<='} {best_name} {best:.4f}")
    verdict = "promoted" if ok else "kept as a candidate"
    return ok, f"{verdict}: " + "; ".join(lines)


@transaction.atomic
def model_activate(*, version: ModelVersion, reason: str = "") -> ModelVersion:
    """Make ``version`` the served one (promotion or rollback); the active one retires."""
    version = ModelVersion.objects.select_for_update().get(pk=version.pk)
    if version.status not in (ModelVersion.Status.CANDIDATE, ModelVersion.Status.RETIRED):
        raise RetrainRefused(f"{version} cannot be activated: only trained versions can")
    if not Path(version.path).is_dir():
        raise RetrainRefused(f"{version}'s artifact is missing ({version.path})")
    ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).update(status=ModelVersion.Status.RETIRED)
    version.status, version.promoted = ModelVersion.Status.ACTIVE, timezone.now()
    if reason:
        version.reason = reason
    version.save(update_fields=["status", "promoted", "reason"])
    return version


def model_delete_files(version: ModelVersion) -> None:
    if version.path:
        shutil.rmtree(Path(version.path).parent, ignore_errors=True)


def _jsonable(x):
    """JSON for the database: NaN and infinities (a metric with nothing to score) become null."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, str | int | bool):
        return x
    try:
        return _jsonable(float(x))  # numpy scalars
    except (TypeError, ValueError):
        return str(x)
