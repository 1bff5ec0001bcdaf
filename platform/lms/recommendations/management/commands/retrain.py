"""Retrain the recommender now, in this process (the Celery task does the same)."""

from django.core.management.base import BaseCommand, CommandError

from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import RetrainRefused, retrain_request


class Command(BaseCommand):
    help = "Export events, train, evaluate against the baselines and the active model, and promote if better."

    def add_arguments(self, parser):
        parser.add_argument(
            "--epochs", type=int, default=None, help="training epochs (default: the library's)"
        )
        parser.add_argument("--queue", action="store_true", help="queue it for the training worker instead")

    def handle(self, *args, epochs, queue, **options):
        config = None
        if epochs is not None:
            from recommender.train import TrainConfig

            config = TrainConfig(epochs=epochs)
        try:
            version = retrain_request(run_now=not queue, train_config=config)
        except RetrainRefused as exc:
            raise CommandError(str(exc)) from exc
        if queue:
            self.stdout.write(f"queued {version}; follow it with `manage.py models`")
            return
        self.stdout.write(f"{version}: {version.reason}")
        if version.status == ModelVersion.Status.FAILED:
            raise CommandError(f"retrain failed: {version.reason}")
