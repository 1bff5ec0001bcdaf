"""Retraining and the model registry (write side).

``retrain_request`` opens a version in status *training*; a database constraint allows
one at a time, so a second request is refused with a clear message. The Celery task
``recommendations.retrain`` (queue ``training``) runs ``model_train``:

1. export the events (Parquet, the analysts' format) and the syllabus order, and grow
   the registry's frozen held-out learners (``MODEL_REGISTRY_DIR/holdout.txt``, by the
   rule of ``recommender.splits.frozen_holdout``): every version trains without them and
   is scored on them, so versions and baselines compare on the same learners;
2. train (``recommender.train``; a redelivered task resumes from the last checkpoint),
   and a twin with the next seed, only to measure what the seed alone changes;
3. evaluate on the held-out learners, next to every baseline and the active version;
4. gate (``gate``, deciding with ``recommender.compare.decide``): paired bootstrap
   intervals against the active version and the best baseline, on the held-out learners
   and on simulated learners, and the pedagogy invariants on a fresh simulated cohort.
   Promote only on a gain that is not noise; otherwise keep it as a candidate. The
   decision in plain words is the version's reason.

Any failure marks the version failed with the reason; serving is untouched until a
promotion. ``model_activate`` promotes (or rolls back to) any trained version.
"""

from __future__ import annotations

import dataclasses
import datetime
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
from lms.core.jobs import job_fail, job_stage, job_succeed, job_take

from .models import QUEUED_STAGE, ModelVersion
from .serving import serving_recheck

log = logging.getLogger(__name__)

HOLDOUT_FILE = "holdout.txt"  # under MODEL_REGISTRY_DIR: the frozen held-out learners (splits.frozen_holdout)
SIMULATION_START = datetime.datetime(
    2026, 1, 5, tzinfo=datetime.UTC
)  # a Monday: simulated cohorts start here


class RetrainRefused(Exception):
    pass


def _code_version() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
                             text=True, timeout=5, check=True)  # fmt: skip
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def retrain_request(
    *, requested_by=None, run_now: bool = False, train_config=None, gate_config=None
) -> ModelVersion:
    """Open a training version (with ``train_config``, a ``recommender.train.TrainConfig``,
    else the library's defaults; ``gate_config``, a ``recommender.compare.GateConfig``, how
    much evidence the gate gathers) and queue its task; ``run_now`` trains in this process."""
    from .tasks import retrain as retrain_task

    try:
        with transaction.atomic():
            number = (ModelVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
            version = ModelVersion.objects.create(
                number=number, requested_by=requested_by, stage=QUEUED_STAGE, code_version=_code_version(),
                config={**({"training": dataclasses.asdict(train_config)} if train_config else {}),
                        **({"gate": dataclasses.asdict(gate_config)} if gate_config else {})},
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


def model_train(*, version_id: int) -> ModelVersion:
    """The retrain task body. Only a version still in training is worked on (queued, or
    already started: a redelivered task resumes from its checkpoints), so a task that runs
    twice after it finished does nothing."""
    version = job_take(ModelVersion.objects.all(), version_id, resume=True)
    if version is None:
        return ModelVersion.objects.filter(pk=version_id).first()
    folder = Path(settings.MODEL_REGISTRY_DIR) / f"v{version.number}"
    try:
        _train_and_gate(version, folder)
    except Exception as exc:  # any failure: recorded, serving unchanged
        log.exception("retrain of v%s failed", version.number)
        job_fail(version, f"{type(exc).__name__}: {exc}")
    return version


def _train_and_gate(version: ModelVersion, folder: Path) -> None:
    import pandas as pd
    from django.db.models import Q

    from lms.courses.models import Activity
    from lms.tracking.interop.export import events_export
    from lms.tracking.interop.structure import SOURCE as STRUCTURE_SOURCE
    from recommender.compare import GateConfig
    from recommender.evaluate import evaluate
    from recommender.splits import frozen_holdout, write_learner_ids
    from recommender.train import TrainConfig, train

    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "events.parquet"
    job_stage(version, "exporting events", 0.02)
    if not data.exists():  # a redelivered task reuses its export (and resumes training)
        events_export(format="parquet", out=data)
    syllabus = folder / "syllabus.json"
    # The syllabus: the site's own courses, and imported courses in the order of their
    # imported structure (not the activities only their logs named).
    structured = Q(external_source="") | Q(week__slug__startswith=f"{STRUCTURE_SOURCE}-ch-")
    order = list(
        Activity.objects.filter(structured, retired=False)
        .order_by("course__number", "week__position", "position")
        .values_list("slug", flat=True)
    )
    syllabus.write_text(json.dumps(order))
    # The registry's frozen held-out learners (grown by its rule), as this version saw them.
    holdout = folder / "holdout.txt"
    if not holdout.exists():  # a resumed run keeps its snapshot
        members = frozen_holdout(Path(settings.MODEL_REGISTRY_DIR) / HOLDOUT_FILE,
                                 pd.read_parquet(data, columns=["learner_id"])["learner_id"].unique())  # fmt: skip
        write_learner_ids(holdout, members)  # database ids, under the header that says so

    job_stage(version, "training", 0.05)
    cfg = TrainConfig.from_dict(version.config.get("training", {}))  # as requested, else the defaults
    cfg.holdout_file = str(holdout)
    gate_cfg = GateConfig.from_dict({**settings.RECOMMENDER_GATE, **version.config.get("gate", {})})
    twin_cfg = dataclasses.replace(cfg, seed=cfg.seed + 1) if gate_cfg.reseed else None
    total = max(1, int(getattr(cfg, "epochs", 1))) * (2 if twin_cfg else 1)

    def progress(offset: int):
        def on_batch_end(epoch: int, step: int) -> None:
            if step % 20 == 0:
                done = offset + epoch
                job_stage(
                    version, f"training: epoch {done + 1} of {total}", 0.05 + 0.7 * min(1.0, done / total)
                )

        return on_batch_end

    train(data, folder / "model", cfg, resume=True, code_version=version.code_version,
          progress=False, on_batch_end=progress(0))  # fmt: skip
    if twin_cfg is not None:  # the same run with another seed: is a gain more than the seed's luck?
        train(data, folder / "reseed", twin_cfg, resume=True, code_version=version.code_version,
              progress=False, on_batch_end=progress(cfg.epochs))  # fmt: skip
    job_stage(version, "evaluating on the frozen held-out learners", 0.78)
    report = evaluate(data, folder / "model", folder / "report", syllabus=syllabus, progress=False,
                      holdout_file=holdout, record_metrics=True, per_learner=True)  # fmt: skip
    twin = None
    if twin_cfg is not None:
        twin = evaluate(data, folder / "reseed", None, syllabus=syllabus, progress=False, holdout_file=holdout,
                        per_learner=True)["per_learner"]  # fmt: skip
    active = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).first()
    active_scores = None
    if active is not None:
        try:
            active_scores = evaluate(data, Path(active.path), None, syllabus=syllabus, progress=False,
                                     holdout_file=holdout, per_learner=True)["per_learner"]  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - an old version that cannot be scored cannot block the new one
            log.warning("could not evaluate the active version %s: %s", active, exc)
    job_stage(version, "comparing: paired bootstrap, simulated policies, pedagogy invariants", 0.85)
    gate_report = gate(version=version, folder=folder, config=gate_cfg, scores=report.pop("per_learner"),
                       twin=twin, active=active if active_scores is not None else None,
                       active_scores=active_scores)  # fmt: skip
    promote, reason = gate_report["decision"]["promote"], gate_report["decision"]["summary"]
    window = report.get("data_window") or {}
    job_succeed(
        version,
        ModelVersion.Status.CANDIDATE,
        stage="trained",
        progress=1.0,
        reason=reason,
        path=str(folder / "model"),
        metrics=_jsonable({**report, "gate": gate_report}),
        config={**version.config, "model": report.get("model", {}), "gate": dataclasses.asdict(gate_cfg)},
        events=int(report["evaluation"].get("n_test_events", 0)),
        learners=int(report["evaluation"]["n_train_learners"] + report["evaluation"]["n_test_learners"]),
        data_start=window.get("start"),
        data_end=window.get("end"),
    )
    if data.exists():
        data.unlink()  # the export holds personal data: it does not outlive the training run
    shutil.rmtree(folder / "reseed", ignore_errors=True)  # the seed twin was only a measurement
    if promote:
        model_activate(version=version, reason=reason)


def gate(*, version: ModelVersion, folder: Path, config, scores: dict, twin: dict | None,
         active: ModelVersion | None, active_scores: dict | None) -> dict:  # fmt: skip
    """The evidence and the decision (``recommender.compare``): paired bootstrap
    differences on the frozen held-out learners (HR@10, AUC) and on simulated learners
    (completion, mastery per hour) against the active version and the best baseline,
    the same for the seed twin, and the invariant suite on a fresh simulated cohort.
    Returns a JSON-able dict: ``differences``, ``invariants``, ``decision``, ``cost``."""
    import time

    from recommender.compare import (
        PRIMARY,
        Difference,
        compare,
        decide,
        model_row,
        point_value,
        seed_spread,
        simulated_outcomes,
    )  # fmt: skip
    from recommender.simulate import Curriculum
    from recommender.simulate.simulated_policies import MostPopular, Syllabus, model_policy

    began = time.perf_counter()
    this, active_name = f"v{version.number}", f"v{active.number}" if active else ""

    def split(per_scorer: dict) -> tuple[dict, dict]:
        name, mine = model_row(per_scorer)
        if name is None:  # a report without the model's own row can never pass the gate
            raise ValueError(f"the evaluation report has no model row: {sorted(per_scorer)}")
        return mine, {n: m for n, m in per_scorer.items() if n != name}

    mine, baselines = split(scores)
    active_mine = split(active_scores)[0] if active_scores else None

    def against_active_and_baselines(scores_of: dict, subject: str) -> list[Difference]:
        found = compare(scores_of, active=active_mine, active_name=active_name, baselines=baselines,
                        n_boot=config.n_boot, seed=config.seed)  # fmt: skip
        return [dataclasses.replace(d, subject=subject) for d in found]

    differences = against_active_and_baselines(mine, this)
    if twin is not None:  # the twin answers one question: is the gain more than the seed's luck?
        primary = {m: v for m, v in split(twin)[0].items() if m == PRIMARY}
        differences += against_active_and_baselines(primary, f"{this} retrained with another seed")
    t_bootstrap = time.perf_counter() - began

    # Policies in simulation: the same simulated learners under each policy.
    curriculum = Curriculum.load(Path(settings.CONTENT_ROOT))
    start = SIMULATION_START
    sim = {
        this: simulated_outcomes(
            curriculum, model_policy(folder / "model", curriculum), config=config, start=start
        )
    }
    if active is not None:
        sim[active_name] = simulated_outcomes(curriculum, model_policy(Path(active.path), curriculum),
                                              config=config, start=start)  # fmt: skip
    reference = simulate_reference(curriculum, config, start)
    sim_baselines = {
        "syllabus order": simulated_outcomes(curriculum, Syllabus(), config=config, start=start),
        "most popular next step": simulated_outcomes(
            curriculum, MostPopular(reference), config=config, start=start
        ),
    }
    t_simulation = time.perf_counter() - began - t_bootstrap
    differences += [
        dataclasses.replace(d, subject=this)
        for d in compare(
            sim[this],
            active=sim.get(active_name),
            active_name=active_name,
            baselines=sim_baselines,
            n_boot=config.n_boot,
            seed=config.seed,
            rank_by="completion",
        )  # fmt: skip
    ]

    invariants = invariants_check(
        folder / "model", learners=config.invariant_learners, seed=1000 + version.number
    )
    pairs = [_stored_seed_pair(active)]  # the active version's two seeds, as its own gate stored them
    if twin is not None:
        pairs.append((point_value(mine[PRIMARY]), point_value(split(twin)[0][PRIMARY])))
    spread = seed_spread(*pairs)
    decision = decide(differences, invariants_passed=invariants["passed"], invariants_summary=invariants["summary"],
                      tolerance=config.tolerance, spread=spread)  # fmt: skip
    return {
        "differences": [d.as_dict() for d in differences],
        "invariants": invariants,
        "decision": decision.as_dict(),
        "tolerance": dict(config.tolerance),
        "seed_spread": spread,
        "holdout": {
            "file": HOLDOUT_FILE,
            "learners": int(len(mine["hr@10"].units)) if "hr@10" in mine else 0,
        },
        "cost": {
            "bootstrap_s": round(t_bootstrap, 2),
            "simulation_s": round(t_simulation, 2),
            "total_s": round(time.perf_counter() - began, 2),
            "n_boot": config.n_boot,
        },  # fmt: skip
    }


def _stored_seed_pair(version: ModelVersion | None) -> tuple[float | None, float | None]:
    """The active version's own primary metric and its seed twin's, as its gate stored
    them (against the same baseline): its seed spread. (None, None) when it has none."""
    from recommender.compare import PRIMARY

    if version is None:
        return None, None
    rows = ((version.metrics or {}).get("gate") or {}).get("differences", [])
    rows = [r for r in rows if r.get("metric") == PRIMARY and r.get("role") == "baseline"]
    mine = next((r.get("new") for r in rows if "seed" not in (r.get("subject") or "")), None)
    twin = next((r.get("new") for r in rows if "seed" in (r.get("subject") or "")), None)
    return mine, twin


def simulate_reference(curriculum, config, start) -> list:
    """The reference cohort the most-popular policy counts transitions on (other seeds
    than the compared learners')."""
    from recommender.simulate import simulate_cohort

    return list(simulate_cohort(curriculum, learners=config.sim_learners, days=config.sim_days,
                                seed=10_000 + config.sim_seeds[0], start=start))  # fmt: skip


def invariants_check(model_dir: Path, *, learners: int, seed: int) -> dict:
    """The pedagogy invariant suite (``recommender.pedagogy``) on the new version's
    policy over a fresh simulated cohort. When it cannot run, ``passed`` is None and the
    version is not promoted: no evidence is not a pass."""
    try:
        from recommender.pedagogy import invariant_suite
    except ImportError as exc:
        return {
            "passed": None,
            "checked": 0,
            "violations": 0,
            "summary": f"the suite is not available ({exc})",
        }
    try:
        result = invariant_suite(model_dir, learners=learners, seed=seed)
    except Exception as exc:  # noqa: BLE001 - recorded; blocks the promotion
        log.exception("the invariant suite failed to run on %s", model_dir)
        return {"passed": None, "checked": 0, "violations": 0, "summary": f"{type(exc).__name__}: {exc}"}
    violations = result.violations
    return {
        "passed": bool(result.passed),
        "checked": int(result.checked),
        "violations": len(violations) if isinstance(violations, list | tuple) else int(violations),
        "summary": str(result.summary),
    }


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
    serving_recheck()
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
