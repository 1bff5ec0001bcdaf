"""Bring the dashboard rollups up to date (what the beat task does every minute), or
rebuild them from every stored event with --rebuild."""

import datetime as dt

from django.core.management.base import BaseCommand

from analytics.rollups import default_lag, rollups_update


class Command(BaseCommand):
    help = "Fold newly stored events into the dashboard rollups (--rebuild: recompute them from scratch)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="empty the rollups and fold every stored event again, in one transaction",
        )
        parser.add_argument(
            "--lag",
            type=float,
            default=None,
            help="leave events stored less than this many seconds ago for the next run "
            "(default: settings.ANALYTICS_ROLLUP_LAG_SECONDS, else 15)",
        )

    def handle(self, *args, rebuild, lag, **options):
        lag = default_lag() if lag is None else dt.timedelta(seconds=lag)
        report = rollups_update(rebuild=rebuild, lag=lag)
        self.stdout.write(("Rebuilt: " if rebuild else "") + str(report))
