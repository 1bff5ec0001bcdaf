"""List the model registry, or activate (promote / roll back to) a version."""

from django.core.management.base import BaseCommand, CommandError

from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import RetrainRefused, model_activate


class Command(BaseCommand):
    help = "List model versions; --activate N promotes or rolls back to version N."

    def add_arguments(self, parser):
        parser.add_argument("--activate", type=int, metavar="N", help="make version N the served one")

    def handle(self, *args, activate, **options):
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
                              f"{v.stage if v.status == 'training' else v.reason}"[:200])  # fmt: skip


def _metric(version: ModelVersion, task: str, metric: str) -> str:
    scores = version.metrics.get("results", {}).get(task, {})
    name = next((n for n in scores if n.startswith("model")), None)
    value = scores.get(name, {}).get(metric) if name else None
    return "-" if value is None else f"{value:.3f}"
