"""List the model registry with each version's promotion decision and the intervals
behind it, or activate (promote / roll back to) a version."""

from django.core.management.base import BaseCommand, CommandError

from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import RetrainRefused, model_activate
from recommender.compare import model_row


class Command(BaseCommand):
    help = (
        "List model versions and their promotion decisions; --activate N promotes or rolls back to version N."
    )

    def add_arguments(self, parser):
        parser.add_argument("--activate", type=int, metavar="N", help="make version N the served one")
        parser.add_argument("--brief", action="store_true", help="one line a version, without the intervals")

    def handle(self, *args, activate, brief, **options):
        from recommender.compare import gate_rows

        if activate is not None:
            version = ModelVersion.objects.filter(number=activate).first()
            if version is None:
                raise CommandError(f"there is no version {activate}")
            try:
                model_activate(version=version, reason=f"activated by hand (was {version.status})")
            except RetrainRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"v{activate} is now active")
        for v in ModelVersion.objects.all():
            hr = _metric(v, "next_activity", "hr@10")
            auc = _metric(v, "correctness", "auc")
            self.stdout.write(f"v{v.number:<4} {v.status:<10} HR@10 {hr:<7} AUC {auc:<7} {v.created:%Y-%m-%d %H:%M}  "
                              f"{v.stage if v.status == 'training' else v.reason}")  # fmt: skip
            if brief:
                continue
            for row in gate_rows((v.metrics or {}).get("gate")):
                who = f"{row['subject']}: " if "seed" in row["subject"] else ""
                self.stdout.write(
                    f"      {'ok  ' if row['ok'] else 'FAIL'} {who}{row['metric']} {row['interval']} over {row['against']}"
                    f" ({row['new']:.4f} vs {row['other']:.4f}; {row['rule']})"
                )


def _metric(version: ModelVersion, task: str, metric: str) -> str:

    value = model_row(version.metrics.get("results", {}).get(task))[1].get(metric)
    return "-" if value is None else f"{value:.3f}"
