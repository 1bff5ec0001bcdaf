"""The registries through which tracking calls the apps above it (``lms.tracking.listeners``):
filled by those apps' ``AppConfig.ready()``, called in registration order, and safe
against whatever a raw batch holds."""

import pytest

from lms.tracking import listeners
from lms.tracking.listeners import IngestedBatch, erased_among, ingested, ingestion_wanted


def test_the_apps_registered_themselves_when_django_started():
    assert [f.__module__ for f in listeners._ingestion] == ["lms.progress.listeners"]
    assert {"video.paused", "video.completed"} <= listeners._ingestion_verbs
    assert [f.__module__ for f in listeners._touch] == ["lms.recommendations.generation"]
    assert [f.__module__ for f in listeners._erased_checks] == ["lms.privacy.selectors"]


def test_only_a_batch_with_a_registered_verb_is_wanted_whatever_the_raw_events_are():
    assert ingestion_wanted([{"verb": "page.viewed"}, {"verb": "video.paused"}])
    # Raw, unvalidated events: a list, a dict or nothing as the verb is no error here.
    assert not ingestion_wanted(
        [{"verb": "page.viewed"}, {"verb": []}, {"verb": {}}, {}, "video.paused", None]
    )


def test_listeners_get_the_stored_batch_in_registration_order(monkeypatch):
    heard = []
    monkeypatch.setattr(listeners, "_ingestion", [])
    monkeypatch.setattr(listeners, "_ingestion_verbs", set())
    listeners.register_ingestion_listener(
        lambda batch: heard.append(("first", batch.learner_id)), verbs=["a.b"]
    )
    second = lambda batch: heard.append(("second", len(batch.rows)))  # noqa: E731
    listeners.register_ingestion_listener(second, verbs=["c.d"])
    listeners.register_ingestion_listener(second, verbs=["c.d"])  # once only
    ingested(IngestedBatch(learner_id=7, events=[], rows=[]))
    assert heard == [("first", 7), ("second", 0)]
    assert ingestion_wanted([{"verb": "c.d"}]) and not ingestion_wanted([{"verb": "video.paused"}])


def test_an_import_without_the_erased_check_refuses_to_run(monkeypatch):
    """Fails closed: an import must not bring back a learner erased on request."""
    monkeypatch.setattr(listeners, "_erased_checks", [])
    with pytest.raises(RuntimeError, match="erased-learner check"):
        erased_among({"someone"}, known={})
