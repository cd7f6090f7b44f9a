#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, made with the system's binaries in a
# project-local, git-ignored folder (.local/pg). Idempotent: `ensure` starts it only when it is not running.
# As root the server runs as the `postgres` user; when that user cannot reach the checkout (say it lies under a
# root-owned 0700 folder) the cluster lives in /var/lib/lilium/pg-<hash of the checkout's path> instead.
# LILIUM_PG_DIR and LILIUM_PG_PORT (25432) override the folder and the port. The port lies below Linux's ephemeral
# range (32768-60999): a port inside it can be held by any outgoing connection's TIME-WAIT, and then the server cannot
# bind it (seen with 55432 and a connection to moto on :4566). LILIUM_PG_SSL=1 makes a new cluster serve
# TLS with a certificate for 127.0.0.1/localhost issued by a private authority ($DIR/ca.crt), for tests of verify-full.
#   scripts/pg.sh ensure   # create if missing, start if stopped, print the connection URL
#   scripts/pg.sh stop | status | url
#   scripts/pg.sh prune    # drop databases left by interrupted test runs (<prefix>_<32 hex>); finished runs drop theirs
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
PORT="${LILIUM_PG_PORT:-25432}"
USER_NAME=lilium
PASSWORD=lilium
DB=lilium

as_pg() { # from /, which the postgres user can always enter (the checkout may not be)
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

die() { echo "pg.sh: $*" >&2; exit 1; }

# The cluster's folder: .local/pg when the server's user can reach it, else a folder of its own under /var/lib.
cluster_dir() {
  if [ -n "${LILIUM_PG_DIR:-}" ]; then realpath -m "$LILIUM_PG_DIR"; return; fi
  local local_dir="$ROOT/.local/pg"
  if [ "$(id -u)" != 0 ]; then echo "$local_dir"; return; fi
  mkdir -p "$ROOT/.local"
  if id postgres >/dev/null 2>&1 && (cd / && runuser -u postgres -- test -x "$ROOT/.local") 2>/dev/null; then
    echo "$local_dir"; return
  fi
  echo "/var/lib/lilium/pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
}
DIR="$(cluster_dir)"

# A private certificate authority and a server certificate it signs, for 127.0.0.1 and localhost (verify-full).
ssl_files() {
  command -v openssl >/dev/null || die "LILIUM_PG_SSL needs openssl"
  local tmp; tmp="$(mktemp -d)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Lilium test database CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.crt" >/dev/null 2>&1 || die "openssl could not make the test CA"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout "$tmp/server.key" -out "$tmp/server.csr" >/dev/null 2>&1 \
    || die "openssl could not make the server key"
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$tmp/ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 30 -extfile "$tmp/ext" \
    -out "$tmp/server.crt" >/dev/null 2>&1 || die "openssl could not sign the server certificate"
  cp "$tmp/ca.crt" "$DIR/ca.crt"; chmod 644 "$DIR/ca.crt"
  install -m 600 "$tmp/server.key" "$DIR/data/server.key"; install -m 644 "$tmp/server.crt" "$DIR/data/server.crt"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR/data/server.key" "$DIR/data/server.crt"; fi
  rm -rf "$tmp"
  printf "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n" | as_pg tee -a "$DIR/data/postgresql.conf" >/dev/null
}

url() { echo "postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"; }

ready() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; }

ensure() {
  [ -x "$PGBIN/postgres" ] || die "PostgreSQL server binaries not found (bash scripts/install-deps.sh installs postgresql)"
  if ready; then url; return; fi
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user (bash scripts/install-deps.sh installs postgresql)"
    if [ "$DIR" != "$ROOT/.local/pg" ] && [ -z "${LILIUM_PG_DIR:-}" ]; then
      echo "pg.sh: the postgres user cannot enter $ROOT; the cluster lives in $DIR" >&2
      mkdir -p "$(dirname "$DIR")" && chmod 755 "$(dirname "$DIR")"
    fi
    mkdir -p "$DIR"
    chown postgres:postgres "$DIR"
    as_pg test -w "$DIR" || die "the postgres user cannot write $DIR (set LILIUM_PG_DIR to a folder it can reach)"
  else
    mkdir -p "$DIR"
  fi
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_pg mkdir -p "$DIR/data" "$DIR/sock"
    pwfile="$(mktemp)"; echo "$PASSWORD" > "$pwfile"; chmod 644 "$pwfile"
    if ! as_pg "$PGBIN/initdb" -D "$DIR/data" -U "$USER_NAME" --pwfile="$pwfile" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$DIR/initdb.log" 2>&1; then
      rm -f "$pwfile"; cat "$DIR/initdb.log" >&2; die "initdb failed in $DIR/data (log above)"
    fi
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
    if [ "${LILIUM_PG_SSL:-0}" = 1 ]; then ssl_files; fi
  fi
  if as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null # running, but on another port (an older default)
  fi
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -o "-p $PORT" -w -t 60 start >/dev/null \
    || { tail -n 20 "$DIR/server.log" >&2 2>/dev/null; die "the server did not start; see $DIR/server.log"; }
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || die "the server did not start; see $DIR/server.log"
  local exists
  exists="$(PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc "select 1 from pg_database where datname='$DB'")" \
    || die "cannot connect to 127.0.0.1:$PORT as $USER_NAME (is another server on that port? set LILIUM_PG_PORT)"
  if [ "$exists" != 1 ]; then
    PGPASSWORD=$PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -qc "create database $DB" >/dev/null \
      || die "could not create the database $DB"
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
