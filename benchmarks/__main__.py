"""Run every benchmark (or those named on the command line) and print Markdown rows."""

import logging
import os
import platform
import sys

import django

BENCHMARKS = [
    "task_roundtrip",
    "health",
    "ingest_http",
    "import_edx",
    "import_table",
    "grading",
    "simulate",
    "recommender_training",
    "kt_pykt",
    "recommender_serving",
    "dashboards",
    "at_risk_page",
]


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "platform"))
    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)
    print(
        f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for name in names or BENCHMARKS:
        module = __import__(f"benchmarks.{name}", fromlist=["run"])
        print(f"\n## {name}")
        module.run()


if __name__ == "__main__":
    main(sys.argv[1:])
