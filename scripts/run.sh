#!/usr/bin/env bash
# `make run`: the embedded setup. SQLite under var/ (or $CAIRN_DATA_DIR), Celery over
# kombu's filesystem transport (no Redis), one worker process beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${CAIRN_PORT:-8000}
DATA=${CAIRN_DATA_DIR:-var}
mkdir -p "$DATA"/celery/{queue,control,processed,results}
# One cache for the web server and the workers (a grade given by the worker must reach the
# home page's next steps at once): files under $DATA/cache. Production uses Redis.
export CACHE_URL=${CACHE_URL:-filecache://$(cd "$DATA" && pwd)/cache}

# The grader gives each run its own cgroup, which needs root or a delegated cgroup. A local
# demo without either grades with the other limits only (rlimits, namespaces, tmpfs caps),
# and says so; production never sets this (docs/security.md).
if [ -z "${CAIRN_SANDBOX_CGROUP:-}" ] && ! $PY -c 'from course_content.labkit.sandbox.cgroup import RunCgroup as C
c = C.create(memory_bytes=64 << 20, pids_max=8); c.remove()' 2>/dev/null; then
    echo "note: no cgroup can be created here (run as root for per-run memory limits); the demo grades without them"
    export CAIRN_SANDBOX_CGROUP=off
fi

$PY manage.py migrate --no-input
$PY manage.py seed_demo
$PY manage.py rollups_update  # the dashboards' rollups over the demo cohort (beat keeps them fresh)
$PY manage.py risk_refresh  # learners at risk (beat refreshes it every ten minutes)
# Lecture videos are made from the transcripts (espeak-ng + ffmpeg) by the media worker below:
# queue them all now (returns at once); a lecture someone opens first is made first.
$PY manage.py lectures_prepare

$PY -m celery -A lms worker --loglevel=INFO --concurrency=1 --queues=default,grading \
    --hostname="worker-$PORT@%h" --logfile="$DATA/worker.log" &
worker=$!
# Retraining gets its own worker so a long training run never holds up grading.
$PY -m celery -A lms worker --loglevel=INFO --concurrency=1 --queues=training \
    --hostname="trainer-$PORT@%h" --logfile="$DATA/trainer.log" &
trainer=$!
# Lectures: their own low-priority worker; a learner's page view (queue media) goes before
# the bulk queued above (media-bulk).
nice -n 10 $PY -m celery -A lms worker --loglevel=INFO --concurrency=1 --queues=media,media-bulk \
    --hostname="media-$PORT@%h" --logfile="$DATA/media.log" &
media=$!
# Periodic jobs: dashboard rollups every minute, event partitions ahead daily.
$PY -m celery -A lms beat --loglevel=WARNING --schedule="$DATA/celerybeat-schedule" --logfile="$DATA/beat.log" &
beat=$!
# The trainer stops at once (SIGQUIT: cold shutdown); an interrupted retrain is requeued and
# resumes from its last checkpoint on the next start.
trap 'kill -QUIT $trainer 2>/dev/null; kill $worker $media $beat 2>/dev/null; wait $worker $trainer $media $beat 2>/dev/null' EXIT INT TERM

echo
echo "Cairn is starting at http://127.0.0.1:$PORT  (health: http://127.0.0.1:$PORT/healthz/ready)"
echo "Worker log: $DATA/worker.log.  Stop with Ctrl-C."
$PY manage.py runserver "127.0.0.1:$PORT" --noreload
