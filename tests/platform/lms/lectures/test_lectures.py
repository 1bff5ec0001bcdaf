"""Generated lectures on the site: queued once by the first page view, made by a real
Celery worker (queue ``media``), served seekable with their captions."""

import threading
import time

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from lms.lectures.models import LectureRender
from lms.lectures.selectors import lecture_moment_of_sentence, lecture_ready
from lms.lectures.services import lecture_make, lecture_request
from tests.conftest import running_worker
from tests.factories import ActivityFactory, UserFactory


def _queue_key(name: str) -> str:
    """The Redis list holding a Celery queue (prefixed per pytest-xdist worker)."""
    from lms.celery import app

    return (app.conf.broker_transport_options or {}).get("global_keyprefix", "") + name


def media_queue_length() -> int:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(_queue_key("media"))


def purge_media_queue() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(_queue_key("media"), _queue_key("media-bulk"))


def wait_for(render_id: int, status: str, ceiling: float = 180.0) -> LectureRender:
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        render = LectureRender.objects.get(pk=render_id)
        if render.status == status:
            return render
        time.sleep(0.2)
    raise AssertionError(f"lecture {render_id} still {render.status} after {ceiling} s: {render.error}")


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_views_queue_one_job(generated_video) -> None:
    purge_media_queue()
    barrier, rows, errors = threading.Barrier(6), [], []

    def view() -> None:
        try:
            barrier.wait()
            rows.append(lecture_request(activity=generated_video).pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(rows)) == 1 and LectureRender.objects.count() == 1
    assert media_queue_length() == 1
    # Later views while it is queued queue nothing more.
    lecture_request(activity=generated_video)
    assert media_queue_length() == 1
    purge_media_queue()


@pytest.mark.django_db(transaction=True)
def test_worker_makes_the_lecture_and_the_site_serves_it(client, generated_video) -> None:
    purge_media_queue()
    client.force_login(UserFactory())
    url = "/courses/c7/c7-backprop/"
    with running_worker(queues=("media",)):
        page = client.get(url).content.decode()
        assert (
            "Preparing this lecture" in page and 'data-lecture-status="/lectures/c7-backprop/status"' in page
        )
        assert client.get("/lectures/c7-backprop/video.mp4").status_code == 404  # not made yet
        render = wait_for(LectureRender.objects.get().pk, "ready")
    assert client.get("/lectures/c7-backprop/status").json() == {"status": "ready", "error": ""}
    assert render.duration == pytest.approx(30.0, abs=0.01)
    page = client.get(url).content.decode()
    assert (
        '<track kind="captions" srclang="en" label="English" default src="/lectures/c7-backprop/captions.vtt">'
        in page
    )
    assert 'src="/lectures/c7-backprop/video.mp4"' in page
    assert f'data-cue-start="{render.cues[0]["start"]}"' in page  # the transcript follows the real timing
    video = client.get("/lectures/c7-backprop/video.mp4", headers={"Range": "bytes=0-99"})
    assert video.status_code == 206 and video["Content-Type"] == "video/mp4"
    assert b"ftyp" in b"".join(video.streaming_content)
    captions = client.get("/lectures/c7-backprop/captions.vtt")
    body = b"".join(captions.streaming_content).decode()
    assert captions["Content-Type"].startswith("text/vtt") and body.startswith("WEBVTT")
    assert "Backpropagation computes the gradient" in body
    # The moment of the transcript's third sentence is when it is spoken.
    assert lecture_moment_of_sentence(generated_video, 2) == int(
        next(c for c in render.cues if c["sentence"] == 2)["start"]
    )
    # Made once: a later view finds it ready and queues nothing.
    client.get(url)
    assert media_queue_length() == 0 and LectureRender.objects.get().status == "ready"


@pytest.mark.django_db(transaction=True)
def test_a_changed_transcript_makes_the_lecture_again(generated_video) -> None:
    purge_media_queue()
    render = lecture_request(activity=generated_video, send=False)
    first = lecture_make(render_id=render.pk)
    assert first.status == "ready" and lecture_ready(generated_video) is not None
    assert lecture_make(render_id=render.pk) is None  # a repeated message does nothing
    generated_video.transcript += "\n\nA final sentence was added to this lecture."
    generated_video.save()
    assert lecture_ready(generated_video) is None
    again = lecture_request(activity=generated_video)
    assert again.status == "queued" and media_queue_length() == 1
    second = lecture_make(render_id=again.pk)
    assert second.stem != first.stem and lecture_ready(generated_video).stem == second.stem
    folder = settings.MEDIA_ROOT / "lectures"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{second.stem}{s}" for s in (".json", ".mp4", ".vtt")
    )
    assert any("final sentence" in c["text"] for c in second.cues)
    purge_media_queue()


@pytest.mark.django_db
def test_a_lecture_that_cannot_be_made_says_why(client, lecture_media) -> None:
    video = ActivityFactory(week__course__slug="c8", slug="c8-only-heading", transcript="# Only a heading")
    render = lecture_request(activity=video, send=False)
    failed = lecture_make(render_id=render.pk)
    assert failed.status == "failed" and "no sentences" in failed.error
    client.force_login(UserFactory())  # a learner: told, without the tool's output
    page = client.get("/courses/c8/c8-only-heading/").content.decode()
    assert "could not be made" in page and "no sentences" not in page
    assert client.get("/lectures/c8-only-heading/status").json() == {"status": "failed", "error": ""}
    client.force_login(UserFactory(is_staff=True))  # staff: the reason
    assert "no sentences" in client.get("/courses/c8/c8-only-heading/").content.decode()
    assert "no sentences" in client.get("/lectures/c8-only-heading/status").json()["error"]


@pytest.mark.django_db
def test_author_media_and_other_videos_are_not_generated(client, lecture_media) -> None:
    file = ActivityFactory(
        week__course__slug="c6", slug="c6-file", media="media/lecture-1.mp4", transcript="Said. Twice."
    )
    url = ActivityFactory(week=file.week, slug="c6-url", media="https://videos.example.org/a.mp4")
    elsewhere = ActivityFactory(week=file.week, slug="c6-elsewhere", external_source="edx")
    client.force_login(UserFactory())
    assert 'src="/media/course/lecture-1.mp4"' in client.get("/courses/c6/c6-file/").content.decode()
    assert 'src="https://videos.example.org/a.mp4"' in client.get("/courses/c6/c6-url/").content.decode()
    assert "it plays there, not here" in client.get("/courses/c6/c6-elsewhere/").content.decode()
    assert not LectureRender.objects.exists()
    for activity in (file, url, elsewhere):
        assert client.get(f"/lectures/{activity.slug}/video.mp4").status_code == 404


@pytest.mark.django_db
def test_anonymous_requests_never_queue_a_lecture(client, generated_video) -> None:
    assert client.get("/lectures/c7-backprop/video.mp4").status_code == 404
    assert client.get("/lectures/c7-backprop/captions.vtt").status_code == 404
    assert client.get("/lectures/c7-backprop/status").json() == {"status": "none"}
    assert client.get("/lectures/..%2F..%2Fetc/video.mp4").status_code == 404
    assert not LectureRender.objects.exists()


@pytest.mark.django_db
def test_prepare_command_makes_the_courses_lectures(generated_video, capsys) -> None:
    call_command("lectures_prepare", "--course", "c7", "--now")
    out = capsys.readouterr().out
    assert "c7-backprop: ready" in out and "1 ready, 0 queued or being made, 0 failed" in out
    call_command("lectures_prepare", "--course", "c7", "--now")  # made already: nothing to do
    assert "1 ready" in capsys.readouterr().out
    with pytest.raises(Exception, match="unknown course"):
        call_command("lectures_prepare", "--course", "no-such-course")
