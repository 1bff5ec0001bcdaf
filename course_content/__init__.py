"""Cairn's course catalog, authored as files (docs/content-format.md), and its tooling.

Python API for the Django side (no Django here)::

    from course_content.validate import load_catalog  # typed dataclasses; raises ContentInvalid
    from course_content.validate import validate      # list[ContentError]: "file:line: msg (fix: ...)"

    catalog = load_catalog("course_content")
    errors = validate("course_content")

Command lines: ``python -m course_content validate|check`` and
``python -m course_content.labkit check|grade|export|starter``. This package imports
nothing on its own, so the lab kit stays light.
"""
