"""A learner exercises their data rights in a real browser, on a real worker: "Your data"
asks for the archive, the page's script (static/js/cairn-privacy.js) follows its progress
and shows the link, the zip downloads with data.json and events.parquet; then the learner
asks for erasure with their password and ends signed out, their account gone.

Screenshots (``privacy-*.png``) go to $CAIRN_SCREENSHOTS when set, else to a temporary folder.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from lms.accounts.models import User
from lms.privacy.models import DataRequest
from tests.platform.lms.privacy.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_a_learner_downloads_their_archive_then_erases_everything(
    world, celery_worker, browser, live_server, client, tmp_path
):
    shots = Path(os.environ.get("CAIRN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    learner = world.learner
    client.force_login(learner)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    errors: list[str] = []
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    phone = browser.new_context(viewport=PHONE)
    try:
        for context in (desktop, phone):
            context.add_cookies([cookie])
        page, small = desktop.new_page(), phone.new_page()
        for p in (page, small):
            p.on("pageerror", lambda exc: errors.append(str(exc)))
            p.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and
                 not r.url.endswith("/favicon.ico") else None)  # fmt: skip
        url = live_server.url + reverse("my-data")
        page.goto(url)
        page.get_by_role("link", name="Your data").first.wait_for()  # linked from the header
        page.screenshot(path=str(shots / "privacy-page.png"), full_page=True)

        # Ask for the archive: the script polls the status until the link shows.
        polled: list[str] = []
        page.on("response", lambda r: polled.append(r.url) if r.url.endswith("/status") else None)
        page.get_by_role("button", name="Prepare my archive").click()
        item = page.locator("[data-status-url]").first
        assert item.get_attribute("data-status") in ("queued", "running", "done")
        link = item.locator("a.data-download")
        link.wait_for(state="visible", timeout=60_000)
        assert item.get_attribute("data-status") == "done"
        assert item.locator(".data-stage").inner_text() == "ready"
        assert item.locator("progress").count() == 0
        request = DataRequest.objects.get(learner=learner, kind="download")
        assert polled and all(str(request.pk) in u for u in polled)  # the page's script did it
        label = link.inner_text().replace("\xa0", " ")
        assert label.startswith("Download (") and "(0 bytes)" not in label  # the archive's size, once known
        page.screenshot(path=str(shots / "privacy-archive-ready.png"), full_page=True)
        small.goto(url)
        assert small.evaluate(OVERFLOW) <= 0, "'Your data' scrolls sideways at phone width"
        small.screenshot(path=str(shots / "privacy-page-phone.png"), full_page=True)

        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.startswith("cairn-data-")
        with zipfile.ZipFile(download.value.path()) as archive:
            assert {"data.json", "events.parquet", "README.txt"} <= set(archive.namelist())
            data = json.loads(archive.read("data.json"))
            assert archive.read("events.parquet")[:4] == b"PAR1"
        assert learner.username in json.dumps(data) and world.other.username not in json.dumps(data)

        # Erase: a wrong password is refused, the right one signs the learner out.
        page.fill("#erase-password", "not my password")
        page.get_by_role("button", name="Erase my data").click()
        assert (
            page.get_by_role("status")
            .or_(page.get_by_role("alert"))
            .filter(has_text="not your password")
            .first.is_visible()
        )
        assert not DataRequest.objects.filter(kind="erasure").exists()
        page.fill("#erase-password", PASSWORD)
        page.get_by_role("button", name="Erase my data").click()
        page.get_by_role("heading", name="Your data is being erased").wait_for()
        erasure = DataRequest.objects.get(kind="erasure")
        assert str(erasure.pk) in page.locator("main").inner_text()
        page.screenshot(path=str(shots / "privacy-erased.png"), full_page=True)
        response = page.goto(url)
        assert "/login" in page.url or "/accounts/login" in page.url, page.url  # signed out
        assert response.status == 200
    finally:
        desktop.close()
        phone.close()
    deadline = time.monotonic() + 60
    while User.objects.filter(pk=learner.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not User.objects.filter(pk=learner.pk).exists()  # erased by the worker
    assert User.objects.filter(pk=world.other.pk).exists()
    assert errors == []
