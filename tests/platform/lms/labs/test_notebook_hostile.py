"""Hostile notebooks: reading an upload never executes anything in it, and every malformed
file (a JSON bomb, non-UTF-8 bytes, a flood of cells) gets a 400 with a message, never a 500."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.platform.lms.labs.test_notebook_upload import lab, learner, notebook  # noqa: F401

pytestmark = pytest.mark.django_db


def post(client, lab, data: bytes):  # noqa: F811
    return client.post(f"/api/labs/{lab.slug}/notebook", {"notebook": SimpleUploadedFile("nb.ipynb", data)})


def refused(response) -> str:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    return response.json()["error"]


def test_code_anywhere_in_a_notebook_is_never_executed(client, lab, learner, tmp_path):  # noqa: F811
    marker = tmp_path / "executed"
    payload = f"open({str(marker)!r}, 'w').write('pwned')"
    nb = notebook()
    nb.cells[0].source += f"\n{payload}\n"
    nb.cells.append({"cell_type": "code", "source": payload, "metadata": {"tags": ["autorun"]},
                     "execution_count": 1, "outputs": [
                         {"output_type": "execute_result", "execution_count": 1, "metadata": {},
                          "data": {"text/plain": payload, "application/javascript": payload,
                                   "text/html": f"<script>{payload}</script>"}},
                         {"output_type": "error", "ename": "E", "evalue": payload, "traceback": [payload]}]})  # fmt: skip
    nb.metadata["kernelspec"] = {"name": f"python3; {payload}", "display_name": payload, "language": "python"}
    nb.metadata["jupytext"] = {"formats": payload, "text_representation": {"extension": payload}}
    nb.metadata["__reduce__"] = payload
    response = post(client, lab, json.dumps(nb).encode())
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert payload in response.json()["code"]  # handed back as text for the editor, nothing more
    assert not marker.exists()


@pytest.mark.parametrize("depth", [900, 5_000, 200_000])
def test_a_deeply_nested_json_bomb_is_refused(client, lab, learner, depth):  # noqa: F811
    bomb = "[" * depth + "]" * depth
    data = ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": ' + bomb + '}, "cells": []}').encode()
    assert "not" in refused(post(client, lab, data))


def test_non_utf8_bytes_are_refused(client, lab, learner):  # noqa: F811
    data = json.dumps(notebook()).encode("utf-8").replace(b"Linear forward", "Linéaire".encode("latin-1"))
    assert "not JSON" in refused(post(client, lab, data))
    assert "not JSON" in refused(post(client, lab, b"\xff\xfe\x00{\x00}"))


def test_a_huge_number_of_cells_is_refused_quickly(client, lab, learner):  # noqa: F811
    nb = notebook()
    nb.cells = [
        {"cell_type": "code", "source": "", "metadata": {}, "outputs": [], "execution_count": None}
    ] * 20_000
    data = json.dumps(nb).encode()
    assert len(data) < 2 * 1024 * 1024
    # Quickly: in CPU seconds of this process (the test client runs the view here), which a
    # busy machine does not stretch as it stretches the wall clock. Reading and refusing
    # takes about 1.5 s; a walk quadratic in the cells would take minutes.
    cpu = time.process_time()
    message = refused(post(client, lab, data))
    assert "cells do not match" in message or "blanks" in message, message
    spent = time.process_time() - cpu
    assert spent < 10, f"{spent:.1f} CPU seconds to refuse 20,000 cells"


def test_cells_of_the_wrong_types_are_refused(client, lab, learner):  # noqa: F811
    nb = notebook()
    nb.cells[0] = {"cell_type": {"$gt": 1}, "source": ["a", 1], "metadata": []}
    assert "not a valid Jupyter notebook" in refused(post(client, lab, json.dumps(nb).encode()))
