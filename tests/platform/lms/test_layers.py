"""One-way arrows inside ``lms``: an app imports only the apps of lower layers, at module
level or inside a function alike, so that no import loop has to be dodged by importing
late. Where a lower app must call a higher one, the higher app registers a function with a
registry module of the lower one in its ``AppConfig.ready()`` (docs/architecture.md).

The arrows between the top-level parts (``lms`` never imports ``analytics``, the
``recommender`` library never imports Django) are tests/test_layout.py's.
"""

from __future__ import annotations

import ast
from pathlib import Path

LMS = Path(__file__).resolve().parents[3] / "platform" / "lms"

# The apps of lms, lowest layer first. An app may import the apps of lower layers; the
# apps of one layer are peers and import none of each other.
LAYERS: list[set[str]] = [
    {"core"},  # access rules, caches, rate limits, job lifecycle: no other app
    {"courses"},  # the catalog, enrollments, the activity page (registry: pages.py)
    {"accounts"},  # users and roles (an instructor is a course role)
    {"tracking"},  # the event store, the one ingestion path (registry: listeners.py)
    {"progress"},  # completion, grades, certificates: folded from events and grading
    {"quizzes", "labs", "lectures", "discussions"},  # the activities, each its page
    {"inbox", "search"},
    {"recommendations"},  # next steps, from history and progress
    {"privacy"},  # download and erase a learner's data, whatever app holds it
    {"simulation"},  # simulated learners, stored as real ones are
    {"site"},  # home, health, the demo seed: the roof
]

# Modules through which a lower app is called by higher ones: whoever registers imports
# them. They import no other app, so an import of one is never an arrow back up.
REGISTRIES = {"lms.courses.pages", "lms.courses.signals", "lms.tracking.listeners", "lms.privacy.hooks"}

# Project modules that are not apps: the Celery app and the settings are below every app;
# the URL configuration and WSGI entry point above (no app may import them).
PROJECT_BELOW = {"celery", "settings"}


def _layer_of() -> dict[str, int]:
    return {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def _module(path: Path) -> str:
    """The dotted name of an lms file (a package's ``__init__.py``: the package)."""
    parts = ["lms", *path.relative_to(LMS).with_suffix("").parts]
    return ".".join(parts if parts[-1] != "__init__" else parts[:-1])


def _imports_of(source: str, module: str, *, package: bool = False) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the code ``source`` of ``module`` (a package
    when ``package``), at any depth, relative ones resolved, in line order."""
    here = module.split(".") if package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*here[: len(here) - node.level + 1], *([base] if base else [])])
            # ``from lms import tracking`` and ``from . import services`` name modules too.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return sorted(found)


def _imported(path: Path) -> list[tuple[int, str]]:
    return _imports_of(path.read_text(), _module(path), package=path.name == "__init__.py")


def _app(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if parts[0] == "lms" and len(parts) > 1 else None


def _arrows() -> list[tuple[str, int, str, str, str]]:
    """(file, line, importer app, imported module, imported app) of every import of
    another lms app or project module."""
    arrows = []
    for path in sorted(LMS.rglob("*.py")):
        relative = path.relative_to(LMS)
        if len(relative.parts) < 2:
            continue  # a project module (settings, urls, celery): it wires the apps
        source = relative.parts[0]
        for line, dotted in _imported(path):
            target = _app(dotted)
            if target is not None and target != source:
                arrows.append((f"platform/lms/{relative}", line, source, dotted, target))
    return arrows


def _wrong(source: str, dotted: str, target: str) -> str | None:
    """Why an import breaks the layers, or None."""
    layer = _layer_of()
    if any(dotted == r or dotted.startswith(r + ".") for r in REGISTRIES):
        return None
    if target in PROJECT_BELOW:
        return None
    if target not in layer:
        return f"imports the project module {dotted}"
    if layer[target] > layer[source]:
        return f"{source} imports {target}, a higher layer"
    if layer[target] == layer[source]:
        return f"{source} imports its peer {target}"
    return None


def test_every_app_has_a_layer():
    apps = {p.name for p in LMS.iterdir() if (p / "apps.py").exists()}
    placed = set().union(*LAYERS)
    assert apps - placed == set(), "new app: add it to LAYERS (and to docs/architecture.md)"
    assert placed - apps == set(), "LAYERS names an app that no longer exists"


def test_no_app_imports_a_higher_one_or_a_peer():
    offenders = sorted(
        f"{file}:{line}: {why} ({dotted})"
        for file, line, source, dotted, target in _arrows()
        if (why := _wrong(source, dotted, target)) is not None
    )
    assert offenders == [], "\n".join(offenders)


def test_the_registries_import_no_other_app():
    """A registry may be imported from anywhere, so it must lead nowhere."""
    offenders = sorted(
        f"{file}:{line}: {dotted}"
        for file, line, source, dotted, target in _arrows()
        if _module(LMS / file.removeprefix("platform/lms/")) in REGISTRIES
    )
    assert offenders == []


def test_the_check_sees_late_and_relative_imports():
    """The parser and the rule themselves: an import inside a function and a relative one
    are arrows like any other."""
    source = (
        "from .views import x\n\n\ndef f():\n    from lms.site import views\n    import lms.tracking.store\n"
    )
    names = [dotted for _, dotted in _imports_of(source, "lms.core.probe")]
    assert names == ["lms.core.views.x", "lms.site.views", "lms.tracking.store"]
    assert _imports_of("from .. import pages", "lms.courses.views", package=True) == [
        (1, "lms.courses.pages")
    ]
    assert _wrong("core", "lms.site.views", "site") == "core imports site, a higher layer"
    assert _wrong("labs", "lms.quizzes.models", "quizzes") == "labs imports its peer quizzes"
    assert _wrong("tracking", "lms.courses.models", "courses") is None
    assert _wrong("core", "lms.tracking.listeners", "tracking") is None
    assert _wrong("core", "lms.urls", "urls") == "imports the project module lms.urls"
