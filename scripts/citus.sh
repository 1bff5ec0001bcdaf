#!/usr/bin/env bash
# A local Citus cluster for the event store's second test pass and its benchmark:
# a coordinator and two workers (PostgreSQL 15 + Citus 12.1) on 127.0.0.1, ports
# $CITUS_PORT (coordinator), +1 and +2 (workers), trust auth on 127.0.0.1 only, data
# under $CITUS_DIR. Idempotent; builds Citus from ../shared/vendor/citus when missing.
#
#   scripts/citus.sh start          # init (first time) and start the three nodes
#   scripts/citus.sh status         # which nodes run, and the workers the coordinator knows
#   scripts/citus.sh createdb NAME  # NAME on every node with the extension, workers registered
#   scripts/citus.sh dropdb NAME    # NAME dropped on every node
#   scripts/citus.sh stop           # stop the nodes and remove $CITUS_DIR
#
# Then: DATABASE_URL=postgres://postgres@127.0.0.1:$CITUS_PORT/NAME manage.py migrate
# distributes tracking_event by learner (tracking migration 0002). docs/events.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CITUS_DIR=${CITUS_DIR:-/tmp/cairn-citus}
CITUS_PORT=${CITUS_PORT:-9700}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
VENDOR=${CITUS_VENDOR:-$here/../../shared/vendor/citus}
ports=("$CITUS_PORT" "$((CITUS_PORT + 1))" "$((CITUS_PORT + 2))")
names=(coordinator worker1 worker2)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
sql() { # port database statement
  PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -qtAc "$3"
}

install_citus() {
  [ -f /usr/lib/postgresql/15/lib/citus.so ] && return 0
  [ -x "$VENDOR/build.sh" ] || { echo "citus.sh: Citus is not installed and $VENDOR/build.sh is missing" >&2; exit 1; }
  echo "citus.sh: building Citus from $VENDOR (about a minute)"
  bash "$VENDOR/build.sh"
}

init_node() { # name port
  local dir=$CITUS_DIR/$1
  [ -f "$dir/PG_VERSION" ] && return 0
  mkdir -p "$dir"
  chown postgres:postgres "$CITUS_DIR" "$dir" 2>/dev/null || true
  chmod 700 "$dir"
  as_postgres "$PGBIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$dir/postgresql.conf" <<EOF
# scripts/citus.sh
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_connections = 200
# Shard moves (citus_rebalance_start) use logical replication.
wal_level = logical
# Eight shards: 4 per worker here, room for two more workers before a shard is the unit.
citus.shard_count = 8
logging_collector = off
EOF
  # Trust on the loopback address only (the cluster is a test and benchmark fixture).
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/pg_hba.conf"
}

running() { as_postgres "$PGBIN/pg_ctl" -D "$CITUS_DIR/$1" status >/dev/null 2>&1; }

start() {
  install_citus
  mkdir -p "$CITUS_DIR"
  for i in 0 1 2; do
    init_node "${names[$i]}" "${ports[$i]}"
    if ! running "${names[$i]}"; then
      as_postgres "$PGBIN/pg_ctl" -D "$CITUS_DIR/${names[$i]}" -l "$CITUS_DIR/${names[$i]}.log" -w -t 60 start >/dev/null \
        || { tail -20 "$CITUS_DIR/${names[$i]}.log" >&2; exit 1; }
    fi
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p "$port" -q && break; sleep 1; done
    pg_isready -h 127.0.0.1 -p "$port" -q || { echo "citus.sh: node on $port is not up" >&2; exit 1; }
  done
  createdb_all postgres
  echo "citus: coordinator 127.0.0.1:${ports[0]}, workers ${ports[1]} ${ports[2]} (data $CITUS_DIR)"
}

createdb_all() { # name: the database on every node with the extension; workers registered
  local db=$1
  for port in "${ports[@]}"; do
    if [ "$(sql "$port" postgres "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 0 ]; then
      sql "$port" postgres "CREATE DATABASE \"$db\""
    fi
    sql "$port" "$db" "CREATE EXTENSION IF NOT EXISTS citus"
  done
  sql "${ports[0]}" "$db" "SELECT citus_set_coordinator_host('127.0.0.1', ${ports[0]})" >/dev/null
  for port in "${ports[@]:1}"; do
    sql "${ports[0]}" "$db" "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
  done
}

dropdb_all() {
  local db=$1
  for port in "${ports[@]}"; do
    sql "$port" postgres "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
}

status() {
  local up=0
  for i in 0 1 2; do
    if running "${names[$i]}"; then
      echo "${names[$i]}: running on 127.0.0.1:${ports[$i]}"
      up=$((up + 1))
    else
      echo "${names[$i]}: stopped"
    fi
  done
  if running coordinator; then
    sql "${ports[0]}" postgres "SELECT 'node ' || nodename || ':' || nodeport || ' ' || noderole || CASE WHEN isactive THEN ' active' ELSE ' inactive' END FROM pg_dist_node ORDER BY nodeport"
  fi
  [ "$up" = 3 ]
}

stop() {
  for i in 2 1 0; do
    if [ -f "$CITUS_DIR/${names[$i]}/PG_VERSION" ] && running "${names[$i]}"; then
      as_postgres "$PGBIN/pg_ctl" -D "$CITUS_DIR/${names[$i]}" -m fast -w -t 60 stop >/dev/null
    fi
  done
  rm -rf "$CITUS_DIR"
  echo "citus: stopped, $CITUS_DIR removed"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  createdb) createdb_all "${2:?database name}" ;;
  dropdb) dropdb_all "${2:?database name}" ;;
  *) echo "usage: $0 start|stop|status|createdb NAME|dropdb NAME" >&2; exit 2 ;;
esac
