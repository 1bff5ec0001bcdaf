"""Lecture media is served with byte ranges (what makes a <video> seekable) and never
outside course_content/media/."""

from pathlib import Path

import pytest
from django.conf import settings

CLIP = Path(settings.CONTENT_ROOT) / "media" / "lecture-1.mp4"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_whole_file_advertises_ranges(client):
    response = client.get("/media/course/lecture-1.mp4")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert body(response) == CLIP.read_bytes()


@pytest.mark.parametrize(
    "header, start, end",
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, None), ("bytes=-200", -200, None), ("bytes=5-5", 5, 5)],
)
def test_byte_ranges(client, header, start, end):
    data = CLIP.read_bytes()
    response = client.get("/media/course/lecture-1.mp4", headers={"Range": header})
    assert response.status_code == 206
    expected = data[start:] if end is None else data[start : end + 1]
    assert body(response) == expected
    first = len(data) + start if start < 0 else start
    assert response["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    assert response["Content-Length"] == str(len(expected))


def test_unsatisfiable_range(client):
    response = client.get("/media/course/lecture-1.mp4", headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{CLIP.stat().st_size}"


@pytest.mark.parametrize("name", ["..%2Fconcepts.yaml", "missing.mp4", "..%2F..%2Fmanage.py"])
def test_nothing_outside_the_media_folder(client, name):
    assert client.get(f"/media/course/{name}").status_code == 404
