"""The HTTP half of scripts/docker-smoke.sh: a learner's and an analyst's path through the
compose stack, over HTTP only, as a browser behind the TLS proxy would take it.

The stack runs the production settings (HTTPS-only cookies, CSRF with Referer checks), so
every request says what the proxy would (``X-Forwarded-Proto: https``) and the cookies are
kept here by hand: a client library would never send a ``Secure`` cookie over plain HTTP.
Standard library only, except pyarrow (the repository's .venv) to read the events back
from the learner's archive. Each step prints its time; any failure raises with what the
server answered, and the shell script then prints the containers' logs.

    python scripts/docker_smoke.py --base http://127.0.0.1:58000 --staff admin:PASSWORD
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = "neural-networks-deep-learning"
LAB = "c1-w2-numpy-basics-lab"  # its reference solution: course_content/<course>/labs/numpy-basics/lab.py
LAB_FILE = ROOT / "course_content" / COURSE / "labs" / "numpy-basics" / "lab.py"


class SmokeFailed(AssertionError):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 302 is an answer to look at, not to follow
        return None


class Browser:
    """One signed-in (or not) visitor: cookies, CSRF token, the proxy's headers."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.host = urllib.parse.urlsplit(self.base).netloc
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, *, form=None, body=None, headers=None, timeout=30):
        data, sent = None, {"X-Forwarded-Proto": "https", "Referer": f"https://{self.host}{path}"}
        if form is not None:
            data = urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form})
            data, sent["Content-Type"] = data.encode(), "application/x-www-form-urlencoded"
        elif body is not None:
            data, sent["Content-Type"] = json.dumps(body).encode(), "application/json"
            sent["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=sent, method=method)
        try:
            response = self.opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        payload = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def expect(self, method, path, statuses, **kw):
        status, headers, payload = self.request(method, path, **kw)
        if status not in statuses:
            raise SmokeFailed(f"{method} {path}: {status} (wanted {statuses}): {payload[:600]!r}")
        return status, headers, payload

    def log_in(self, username: str, password: str) -> None:
        self.expect("GET", "/accounts/login/", {200})
        _, headers, _ = self.expect(
            "POST", "/accounts/login/", {302}, form={"username": username, "password": password}
        )
        if "login" in headers.get("Location", ""):
            raise SmokeFailed(f"log-in as {username} refused")


def wait_for(what: str, check, timeout_s: float, every_s: float = 1.0):
    """Poll ``check()`` until it returns something truthy; the last value in the error."""
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        try:
            found, last = check()
        except (OSError, urllib.error.URLError) as exc:
            found, last = None, repr(exc)
        if found:
            return found
        time.sleep(every_s)
    raise SmokeFailed(f"{what}: not within {timeout_s:.0f} s; last seen: {last}")


def step(name: str):
    def wrap(fn):
        def run(*args, **kwargs):
            started = time.monotonic()
            print(f"--> {name}", flush=True)
            result = fn(*args, **kwargs)
            print(f"    ok: {name} ({time.monotonic() - started:.1f} s)", flush=True)
            return result

        return run

    return wrap


@step("/healthz/ready: every part ok")
def ready(base: str, timeout_s: float) -> None:
    visitor = Browser(base)

    def check():
        status, _, payload = visitor.get("/healthz/ready", timeout=10)
        return status == 200, f"{status} {payload[:400]!r}"

    wait_for("/healthz/ready", check, timeout_s, every_s=2)


@step("sign up and enroll")
def sign_up(base: str) -> tuple[Browser, str, str]:
    learner = Browser(base)
    username, password = f"smoke-{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    learner.expect("GET", "/accounts/signup/", {200})
    form = {
        "username": username,
        "email": f"{username}@example.org",
        "password1": password,
        "password2": password,
    }
    learner.expect("POST", "/accounts/signup/", {302}, form=form)
    if "sessionid" not in learner.cookies:
        raise SmokeFailed("signed up, but no session cookie came back")
    learner.expect("POST", f"/courses/{COURSE}/enroll", {302}, form={"track": "verified"})
    return learner, username, password


@step("post an event batch")
def post_events(learner: Browser) -> list[str]:
    session = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat()
    events = [
        {"id": str(uuid.uuid4()), "time": now, "verb": "navigation.page_viewed", "session": session,
         "course": COURSE, "payload": {"path": f"/courses/{COURSE}/"}},
        {"id": str(uuid.uuid4()), "time": now, "verb": "lab.opened", "session": session, "activity": LAB,
         "payload": {}},
    ]  # fmt: skip
    _, _, payload = learner.expect(
        "POST", "/api/events", {200, 201, 202}, body={"events": events},
        headers={"Origin": f"https://{learner.host}"},
    )  # fmt: skip
    answer = json.loads(payload)
    if sorted(answer.get("accepted", [])) != sorted(e["id"] for e in events):
        raise SmokeFailed(f"event batch: {answer}")
    return [e["id"] for e in events]


@step("submit a lab; the sandbox in the grading container grades it")
def submit_lab(learner: Browser, timeout_s: float) -> dict:
    code = LAB_FILE.read_text()
    _, _, payload = learner.expect(
        "POST", f"/api/labs/{LAB}/submissions", {202}, body={"code": code, "mode": "submit"}
    )
    submission = json.loads(payload)["id"]

    def check():
        _, _, body = learner.expect("GET", f"/api/submissions/{submission}", {200})
        found = json.loads(body)
        return (found if found["status"] not in ("queued", "running") else None), found["status"]

    found = wait_for("the lab's grade", check, timeout_s)
    if found["status"] != "graded" or found["score"] is None or float(found["score"]) < 0.999:
        raise SmokeFailed(f"the reference solution was not graded full marks: {json.dumps(found)[:1500]}")
    print(f"    score {found['score']}, {len(found['result'].get('tests', []))} tests")
    return found


@step('"Your data": the archive holds the events and the submission')
def data_download(learner: Browser, username: str, event_ids: list[str], timeout_s: float) -> None:
    learner.expect("POST", "/me/data/", {302}, form={"action": "download"})
    _, _, page = learner.expect("GET", "/me/data/", {200})
    urls = re.findall(r'data-status-url="([^"]+)"', page.decode())
    if not urls:
        raise SmokeFailed("no data request on the page after asking for one")

    def check():
        _, _, body = learner.expect("GET", urls[0], {200})
        status = json.loads(body)
        if status["status"] == "failed":
            raise SmokeFailed(f"the archive failed: {status}")
        return status.get("download"), status

    download = wait_for("the data archive", check, timeout_s)
    _, _, archive = learner.expect("GET", download, {200})
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = set(zf.namelist())
        if not {"data.json", "events.parquet"} <= names:
            raise SmokeFailed(f"archive holds {sorted(names)}")
        data = zf.read("data.json").decode()
        parquet = zf.read("events.parquet")
    if username not in data or LAB not in data:
        raise SmokeFailed("data.json names neither the learner nor the lab submission")
    import pyarrow.parquet as pq  # the repository's .venv

    table = pq.read_table(io.BytesIO(parquet))
    column = next(c for c in ("event_id", "id") if c in table.column_names)
    stored = {str(v) for v in table.column(column).to_pylist()}
    missing = [e for e in event_ids if e not in stored]
    if missing:
        raise SmokeFailed(f"events {missing} not in the archive ({table.num_rows} rows)")
    print(
        f"    archive {len(archive)} bytes; {table.num_rows} events, the batch's {len(event_ids)} among them"
    )


@step("retrain the recommender as an analyst; wait for its verdict")
def retrain(base: str, staff: str, timeout_s: float) -> None:
    analyst = Browser(base)
    analyst.log_in(*staff.split(":", 1))
    analyst.expect("GET", "/staff/models/", {200})
    analyst.expect("POST", "/staff/models/retrain", {302}, form={})
    row = re.compile(
        r'<th scope="row">v(\d+)</th>\s*<td><span class="badge[^"]*">(\w+)</span>(.*?)</tr>', re.S
    )

    def check():
        _, _, page = analyst.expect("GET", "/staff/models/", {200})
        versions = row.findall(page.decode())
        if not versions:
            return None, "no version listed"
        number, status, rest = max(versions, key=lambda v: int(v[0]))
        reason = re.search(r"<small>(.*?)</small>", rest, re.S)
        detail = html.unescape(reason.group(1)).strip() if reason else ""
        if status == "failed":
            raise SmokeFailed(f"v{number} failed: {detail}")
        return (None if status == "training" else (number, status, detail)), f"v{number} {status} {detail}"

    number, status, detail = wait_for("the retrain", check, timeout_s, every_s=3)
    print(f"    v{number}: {status} ({detail[:120]})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the web server, e.g. http://127.0.0.1:58000")
    parser.add_argument("--staff", required=True, help="username:password of a staff account")
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument("--job-timeout", type=float, default=300, help="each background job's ceiling")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        ready(args.base, args.ready_timeout)
        learner, username, _ = sign_up(args.base)
        event_ids = post_events(learner)
        submit_lab(learner, args.job_timeout)
        data_download(learner, username, event_ids, args.job_timeout)
        retrain(args.base, args.staff, args.job_timeout * 2)
    except SmokeFailed as exc:
        print(f"FAILED after {time.monotonic() - started:.0f} s: {exc}", file=sys.stderr)
        return 1
    print(f"HTTP smoke test passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
