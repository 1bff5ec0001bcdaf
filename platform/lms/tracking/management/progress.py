"""The progress bar of the import and export commands (``import_events``,
``export_events``)."""

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm


def progress_bar(command: BaseCommand, *, total: int | None, unit: str, desc: str, disable: bool) -> tqdm:
    """A tqdm bar on the command's stderr (the stream behind its ``OutputWrapper``),
    its counts scaled (k, M); ``disable`` hides it (``--no-progress``)."""
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=True,
        desc=desc,
        file=getattr(command.stderr, "_out", sys.stderr),
        disable=disable,
    )
