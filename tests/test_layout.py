"""The repository layout keeps its promises: platform/ never shadows the stdlib, the
recommender stays a plain library, and data flows one way (lms never imports analytics)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ["lms", "recommender", "course_content", "analytics", "tests", "benchmarks", "scripts"]


def _imports(package_dir: Path) -> set[tuple[Path, str]]:
    found = set()
    for path in package_dir.rglob("*.py"):
        if "labs" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found |= {(path, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path, node.module.split(".")[0]))
    return found


def test_platform_folder_is_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_no_first_party_top_level_name_shadows_the_standard_library():
    top_level = {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".")}
    top_level |= {p.name for p in (ROOT / "platform").iterdir() if p.is_dir()}
    shadowing = {name for name in top_level | set(FIRST_PARTY) if name in sys.stdlib_module_names}
    # platform/ is the one deliberate name clash, and only because it is not a package.
    assert shadowing == {"platform"}


def test_stdlib_platform_still_imports_from_the_repo_root():
    result = subprocess.run(
        [sys.executable, "-c", "import uuid, platform; print(platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Linux"


def test_recommender_imports_no_django_or_platform_code():
    banned = {"django", "rest_framework", "lms", "analytics", "celery"}
    offenders = sorted(
        (str(p.relative_to(ROOT)), m) for p, m in _imports(ROOT / "recommender") if m in banned
    )
    assert offenders == []


def test_lms_never_imports_analytics():
    offenders = sorted(
        str(p.relative_to(ROOT)) for p, m in _imports(ROOT / "platform" / "lms") if m == "analytics"
    )
    assert offenders == []
