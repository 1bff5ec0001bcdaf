#!/usr/bin/env bash
# Build the images and smoke-test the compose stack (docker/compose.yaml) on this machine:
# install the engine and debootstrap when missing, start the engine when it is not running,
# build (the local base image and Docker's layer cache are kept between runs), `compose up`
# on the host network on ports that leave 5432 / 6379 / 8000 alone, then, over HTTP only
# (scripts/docker_smoke.py): /healthz/ready, sign-up, an event batch read back from the
# learner's data archive, a lab graded by the sandbox in the grading container, a retrain;
# then `compose down -v`. Each step prints its time; a failure prints the containers' logs.
#   bash scripts/docker-smoke.sh              (make docker-smoke; .ci/run runs it)
#   CAIRN_SMOKE_KEEP=1 bash scripts/docker-smoke.sh   leaves the stack up for a look
set -euo pipefail
cd "$(dirname "$0")/.."

project=cairn-smoke
web_port=${CAIRN_SMOKE_WEB_PORT:-58000}
export CAIRN_PG_PORT=${CAIRN_SMOKE_PG_PORT:-55432} CAIRN_REDIS_PORT=${CAIRN_SMOKE_REDIS_PORT:-56379}
export CAIRN_WEB_BIND=127.0.0.1:$web_port CAIRN_WEB_WORKERS=2
export CAIRN_BASE_IMAGE=${CAIRN_BASE_IMAGE:-local/debian:bookworm}
export CAIRN_IMAGE=cairn:smoke CAIRN_POSTGRES_IMAGE=cairn-postgres:smoke CAIRN_REDIS_IMAGE=cairn-redis:smoke
# Fresh secrets for each run, in the environment only (the images never hold one).
export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export REDIS_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
staff_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(16))')
export ALLOWED_HOSTS=127.0.0.1,localhost SITE_URL=https://127.0.0.1:$web_port
# A small retrain: the promotion gate gathers less evidence than in production.
export CAIRN_RECOMMENDER_GATE='{"n_boot": 200, "sim_learners": 20, "sim_days": 21, "sim_seeds": [101], "invariant_learners": 6, "reseed": false}'

started=$(date +%s)
last=$started
step() {
  local now
  now=$(date +%s)
  printf '\n==> %s   [previous step %ss, total %ss]\n' "$*" $((now - last)) $((now - started))
  last=$now
}

step "Docker engine, docker-compose and debootstrap"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  missing+=(docker-compose)
fi
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  # Every container here uses the host's network: no bridge, no iptables rules.
  echo "starting dockerd (log: /var/log/cairn-dockerd.log)"
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/cairn-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/cairn-dockerd.log >&2; echo "FATAL: dockerd did not start" >&2; exit 1; }
fi
if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose); else compose_cmd=(docker-compose); fi
compose() { "${compose_cmd[@]}" -p "$project" -f docker/compose.yaml "$@"; }
docker version --format 'engine {{.Server.Version}}'
"${compose_cmd[@]}" version | sed -n 1p

step "base image $CAIRN_BASE_IMAGE"
if [[ $CAIRN_BASE_IMAGE == local/* ]]; then
  bash scripts/docker-base.sh
fi

step "build images"
# What this machine's network needs inside the build: its CA bundle (pip) and the CPU
# torch wheel (PyPI's is a CUDA build and the CPU index is out of reach). Hard links, so
# an unchanged wheel keeps Docker's layer cache.
mkdir -p docker/build-extra/wheels
cmp -s /etc/ssl/certs/ca-certificates.crt docker/build-extra/ca-certificates.crt \
  || cp /etc/ssl/certs/ca-certificates.crt docker/build-extra/ca-certificates.crt
for dir in ${PIP_FIND_LINKS:-} $(pip config get global.find-links 2>/dev/null || true); do
  for wheel in "$dir"/torch-*+cpu-cp311-*.whl; do
    [ -f "$wheel" ] || continue
    [ -f "docker/build-extra/wheels/$(basename "$wheel")" ] \
      || ln "$wheel" docker/build-extra/wheels/ 2>/dev/null || cp "$wheel" docker/build-extra/wheels/
  done
done
build() {  # quiet unless it fails (the legacy builder's deprecation notice included)
  docker build --network host --build-arg BASE_IMAGE="$CAIRN_BASE_IMAGE" "$@" . >/tmp/cairn-docker-build.log 2>&1 \
    || { tail -40 /tmp/cairn-docker-build.log >&2; echo "FATAL: docker build $* failed" >&2; return 1; }
}
build -f docker/services.Dockerfile --target postgres -t "$CAIRN_POSTGRES_IMAGE"
build -f docker/services.Dockerfile --target redis -t "$CAIRN_REDIS_IMAGE"
build -f docker/Dockerfile -t "$CAIRN_IMAGE"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(cairn|local/debian)'

on_exit() {
  local rc=$?
  if ((rc != 0)); then
    echo -e "\n==> FAILED (exit $rc): the containers and their logs" >&2
    compose ps >&2 || true
    compose logs --no-color --tail=150 >&2 || true
  fi
  if [ -z "${CAIRN_SMOKE_KEEP:-}" ]; then
    step "compose down -v"
    compose down -v --remove-orphans >/dev/null 2>&1 || true
  fi
  step "done (exit $rc)"
  exit $rc
}
trap on_exit EXIT

step "compose up (web on 127.0.0.1:$web_port, PostgreSQL $CAIRN_PG_PORT, Redis $CAIRN_REDIS_PORT)"
compose down -v --remove-orphans >/dev/null 2>&1 || true  # what a killed run left
compose up -d --no-build
if [ "$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q release)")" != 0 ]; then
  echo "FATAL: the release step (migrate, import_course) failed" >&2
  exit 1
fi

step "operator steps: a staff account, a simulated cohort to train on"
# One process in the running web container (each start of Django costs seconds here).
compose exec -T -e DJANGO_SUPERUSER_PASSWORD="$staff_password" web python -c '
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django.setup()
from django.core.management import call_command
call_command("createsuperuser", "--no-input", "--username", "smoke-staff", "--email", "staff@example.org")
call_command("simulate_cohort", "--course", "neural-networks-deep-learning", "--learners", "40",
             "--days", "28", "--seed", "1", "--no-stats")
' | tail -3

step "over HTTP: scripts/docker_smoke.py"
py=python3
[ -x .venv/bin/python ] && py=.venv/bin/python
"$py" scripts/docker_smoke.py --base "http://$CAIRN_WEB_BIND" --staff "smoke-staff:$staff_password"
