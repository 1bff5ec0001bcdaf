"""Dashboard pages over 10,000,000 events and rollup maintenance throughput (issue 9);
the work is in analytics/benchmark.py (see docs/dashboards.md)."""


def run() -> None:
    from analytics.benchmark import run as dashboards

    dashboards()
