"""What erasure hands to the code that owns files: who is being erased, and a plan of
file changes applied only once the database transaction has committed.

Apps outside ``lms`` (``analytics`` owns the export files; ``lms`` never imports it)
register an eraser in their ``AppConfig.ready()``::

    from lms.privacy.hooks import eraser_register
    eraser_register("analytics.exports", export_files_erase)

An eraser runs inside the erasure's transaction: it may write rows (they roll back with
the rest) and writes scrubbed copies of files next to the originals (``plan.replace``)
or names files to delete (``plan.delete``); nothing on disk changes before the commit,
and a failed erasure discards the copies. It returns counts for the audit log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subject:
    """The learner being erased, as every identifier that may name them in a file."""

    id: int
    username: str
    email: str
    display_name: str
    pseudonym: str  # lms.accounts.roles.analytics_learner_pseudonym: analysts' exports
    xapi_pseudonym: str  # lms.tracking.interop.naming.xapi_learner_pseudonym: xAPI actor names

    @property
    def names(self) -> set[str]:
        """The strings that identify the learner wherever they appear."""
        return {
            v
            for v in (self.username, self.email, self.display_name, self.pseudonym, self.xapi_pseudonym)
            if v
        }


@dataclass
class FilePlan:
    replace: dict[Path, Path] = field(default_factory=dict)  # original -> scrubbed copy beside it
    delete: set[Path] = field(default_factory=set)

    def scrubbed_copy(self, original: Path) -> Path:
        """A path beside ``original`` for its scrubbed copy (same folder: the swap is a rename)."""
        copy = original.with_name(f".erasing-{original.name}")
        self.replace[original] = copy
        return copy

    def apply(self) -> None:
        """After the commit: swap the scrubbed copies in, delete the rest."""
        for original, copy in self.replace.items():
            os.replace(copy, original)
        for path in self.delete:
            path.unlink(missing_ok=True)

    def discard(self) -> None:
        """After a failure: remove the copies, leave every original as it was."""
        for copy in self.replace.values():
            copy.unlink(missing_ok=True)


Eraser = Callable[..., dict[str, int]]  # (*, subject: Subject, plan: FilePlan) -> counts
_erasers: dict[str, Eraser] = {}


def eraser_register(name: str, eraser: Eraser) -> None:
    _erasers[name] = eraser


def erasers() -> dict[str, Eraser]:
    return dict(_erasers)
