#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, made with the system's binaries in a
# project-local, git-ignored folder. Idempotent: `ensure` starts it only when it is not running.
#   scripts/pg.sh ensure   # create if missing, start if stopped, print the connection URL
#   scripts/pg.sh stop | status | url
#   scripts/pg.sh prune    # drop databases left by interrupted test runs (<prefix>_<32 hex>); finished runs drop theirs
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
DIR="${LILIUM_PG_DIR:-$ROOT/.local/pg}"
PORT="${LILIUM_PG_PORT:-55432}"
USER_NAME=lilium
PASSWORD=lilium
DB=lilium

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"; }

ready() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; }

ensure() {
  [ -x "$PGBIN/postgres" ] || { echo "pg.sh: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; }
  if ready; then url; return; fi
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_pg mkdir -p "$DIR/data" "$DIR/sock"
    pwfile="$(mktemp)"; echo "$PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
    as_pg "$PGBIN/initdb" -D "$DIR/data" -U "$USER_NAME" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR/sock'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  fi
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { echo "pg.sh: server did not start; see $DIR/server.log" >&2; exit 1; }
  if ! PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
    PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qc "create database $DB" >/dev/null
  fi
  url
}

# Each database costs the cluster an autovacuum worker start per minute (~35 ms of CPU): a hundred left over from
# killed test runs put one every 0.6 s on this machine and showed up in the benchmarks' tails.
prune() {
  ready || { echo "pg.sh: not running"; return 0; }
  local n=0
  for db in $(PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
      "select datname from pg_database where datname ~ '^[a-z0-9_]+_[0-9a-f]{32}$'"); do
    PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qc "drop database \"$db\" with (force)"
    n=$((n + 1))
  done
  echo "pg.sh: dropped $n test database(s)"
}

case "${1:-ensure}" in
  ensure) ensure ;;
  url) url ;;
  status) if ready; then echo "running on 127.0.0.1:$PORT ($DIR)"; else echo "stopped"; exit 3; fi ;;
  stop) if [ -f "$DIR/data/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true; fi ;;
  prune) prune ;;
  *) echo "usage: $0 ensure|url|status|stop|prune" >&2; exit 2 ;;
esac
