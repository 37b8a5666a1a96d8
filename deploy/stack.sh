#!/usr/bin/env bash
# Project-local infrastructure for the Victim Feedback Panel platform:
# one Kafka broker (KRaft, jars from Maven Central) and one PostgreSQL cluster,
# both on 127.0.0.1, with all state in one folder per checkout. No Docker needed.
#
#   deploy/stack.sh up [kafka|postgres]     start (idempotent), wait until ready
#   deploy/stack.sh down [kafka|postgres]   stop (idempotent)
#   deploy/stack.sh status                  one line per component
#   deploy/stack.sh env                     shell exports for the services/tests
#   deploy/stack.sh reset                   stop everything and delete the state dir
#
# Settings (environment):
#   VFP_STATE_DIR   state folder (default /var/tmp/vfp-<sha1(checkout path)[:12]>)
#   VFP_KAFKA_PORT  broker port (default 19092; the controller uses port+1)
#   VFP_PG_PORT     PostgreSQL port (default 15432)
#   VFP_PG_FAST=1   fsync/synchronous_commit/full_page_writes off (tests only)
#   VFP_KAFKA_START_TIMEOUT / VFP_PG_START_TIMEOUT / VFP_STOP_TIMEOUT  seconds
#   VFP_KAFKA_HEAP  JVM heap flags (default "-Xms256m -Xmx512m")
set -euo pipefail
# Created folders must stay traversable by the postgres user when we run as root.
umask 022
# $EPOCHREALTIME and awk must agree on the decimal point.
export LC_NUMERIC=C

DEPLOY_DIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd -P "$DEPLOY_DIR/.." && pwd)
# One state dir per checkout: hash the physical checkout path (no trailing newline).
CHECKOUT_HASH=$(printf '%s' "$ROOT_DIR" | sha1sum | cut -c1-12)
# /var/tmp rather than the checkout: CI clones under /root, which the postgres user cannot enter.
STATE_DIR=${VFP_STATE_DIR:-/var/tmp/vfp-$CHECKOUT_HASH}

KAFKA_PORT=${VFP_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
PG_PORT=${VFP_PG_PORT:-15432}
KAFKA_START_TIMEOUT=${VFP_KAFKA_START_TIMEOUT:-120}
PG_START_TIMEOUT=${VFP_PG_START_TIMEOUT:-60}
STOP_TIMEOUT=${VFP_STOP_TIMEOUT:-30}
KAFKA_HEAP=${VFP_KAFKA_HEAP:--Xms256m -Xmx512m}

DB_NAME=vfp
DB_USER=vfp
DB_PASSWORD=vfp

LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run

# Jars live in the checkout (git-ignored) so `reset` does not throw them away;
# Maven's own ~/.m2 cache makes a copy for a second checkout cheap.
KAFKA_SRC=$DEPLOY_DIR/kafka
KAFKA_CACHE=$KAFKA_SRC/.cache
KAFKA_LIB=$KAFKA_CACHE/lib
KAFKA_STATE=$STATE_DIR/kafka
KAFKA_DATA=$KAFKA_STATE/data
KAFKA_PROPS=$KAFKA_STATE/server.properties
KAFKA_PID_FILE=$RUN_DIR/kafka.pid
KAFKA_LOG=$LOG_DIR/kafka.log      # log4j2 (see kafka/log4j2.xml)
KAFKA_OUT=$LOG_DIR/kafka.out      # JVM stdout/stderr of the latest start

# PostgreSQL's folder belongs to the user the server runs as (postgres when we are root).
PG_STATE=$STATE_DIR/pg
PG_DATA=$PG_STATE/data
PG_SOCKET_DIR=$PG_STATE/socket
PG_LOG=$LOG_DIR/postgres.log

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
is_root() { [[ $(id -u) -eq 0 ]]; }

tail_log() { # tail_log FILE [LINES]: show the end of a log on stderr for a failure
  local f=$1 n=${2:-40}
  if [[ -s $f ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
    printf -- '-----\n' >&2
  else
    printf '[stack] (%s is empty or missing)\n' "$f" >&2
  fi
}

port_open() { # port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
  python3 - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

ensure_state_dir() {
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  chmod 0755 "$STATE_DIR" "$LOG_DIR" "$RUN_DIR"
  if is_root && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$STATE_DIR"; then
    die "the postgres user cannot enter $STATE_DIR (a parent folder is closed); set VFP_STATE_DIR elsewhere"
  fi
}

# Serialise concurrent `up`/`down`/`reset` of one checkout (e.g. parallel make targets).
# flock -o keeps the lock in the flock process itself, so the servers we start
# never inherit the lock's file descriptor (which would block the next call).
take_lock() {
  if [[ ${VFP_STACK_LOCKED:-} != "$STATE_DIR" ]]; then
    ensure_state_dir
    VFP_STACK_LOCKED=$STATE_DIR exec flock -o -w 600 "$STATE_DIR/.lock" bash "${BASH_SOURCE[0]}" "$@"
  fi
}

# ----------------------------------------------------------------------------- Kafka

apt_install() { # apt_install WHAT PACKAGE...: install Debian packages when missing (root only)
  local what=$1
  shift
  is_root || die "$what not found; install the Debian package(s) '$*' (needs root), then run again"
  say "installing the Debian package(s) '$*' ($what not found)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >>"$LOG_DIR/apt.log" 2>&1 || { tail_log "$LOG_DIR/apt.log"; die "apt-get update failed"; }
  apt-get install -y -qq --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 \
    || { tail_log "$LOG_DIR/apt.log"; die "apt-get install $* failed (log: $LOG_DIR/apt.log)"; }
}

java_bin() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then echo "$JAVA_HOME/bin/java"; else command -v java || true; fi
}

kafka_pid() { # prints the broker pid if our broker is running
  local pid
  [[ -f $KAFKA_PID_FILE ]] || return 1
  pid=$(<"$KAFKA_PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # Guard against pid reuse: the process must be a broker using our config file.
  if kill -0 "$pid" 2>/dev/null && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -F "kafka.Kafka $KAFKA_PROPS" >/dev/null; then
    echo "$pid"
    return 0
  fi
  return 1
}

kafka_fetch_jars() {
  # Re-resolve only when pom.xml changed; a second run does not touch Maven at all.
  local want t0
  want=$(sha1sum "$KAFKA_SRC/pom.xml" | cut -c1-40)
  if [[ -d $KAFKA_LIB && -f $KAFKA_CACHE/lib.stamp && $(<"$KAFKA_CACHE/lib.stamp") == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || apt_install "Maven (fetches Kafka from Maven Central)" maven
  t0=$(now)
  say "kafka: resolving jars from Maven Central (first run only)..."
  mkdir -p "$KAFKA_CACHE"
  rm -rf "$KAFKA_CACHE/lib.tmp"
  # Copy into a temp folder and rename, so an interrupted fetch is never taken as complete.
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_SRC/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_CACHE/lib.tmp" >"$LOG_DIR/maven.log" 2>&1; then
    tail_log "$LOG_DIR/maven.log"
    die "kafka: Maven could not resolve the broker jars (log: $LOG_DIR/maven.log)"
  fi
  rm -rf "$KAFKA_LIB"
  mv "$KAFKA_CACHE/lib.tmp" "$KAFKA_LIB"
  echo "$want" >"$KAFKA_CACHE/lib.stamp"
  say "kafka: $(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars in $KAFKA_LIB ($(since "$t0"))"
}

kafka_render_config() {
  # Rendered on every start so a changed VFP_KAFKA_PORT takes effect.
  mkdir -p "$KAFKA_STATE"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@DATA_DIR@|$KAFKA_DATA|g" \
      "$KAFKA_SRC/server.properties.template" >"$KAFKA_PROPS"
}

kafka_format_storage() {
  # Only format once: meta.properties marks a formatted log dir.
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local java cluster_id
  java=$(java_bin)
  if [[ ! -s $KAFKA_STATE/cluster.id ]]; then
    "$java" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool random-uuid 2>>"$LOG_DIR/kafka-format.log" | tail -n 1 >"$KAFKA_STATE/cluster.id"
  fi
  cluster_id=$(<"$KAFKA_STATE/cluster.id")
  [[ -n $cluster_id ]] || die "kafka: could not generate a cluster id (see $LOG_DIR/kafka-format.log)"
  if ! "$java" -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.xml" -Dkafka.logs.dir="$LOG_DIR" \
      -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format --standalone \
      -t "$cluster_id" -c "$KAFKA_PROPS" >>"$LOG_DIR/kafka-format.log" 2>&1; then
    tail_log "$LOG_DIR/kafka-format.log"
    die "kafka: formatting storage in $KAFKA_DATA failed"
  fi
  say "kafka: formatted $KAFKA_DATA (cluster id $cluster_id)"
}

kafka_api_ready() {
  # A real Kafka round trip (ApiVersions v0), not just an open port.
  python3 - "$KAFKA_PORT" <<'PY'
import socket, struct, sys
def read(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("closed")
        buf += chunk
    return buf
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    cid = b"vfp-stack"
    body = struct.pack(">hhih", 18, 0, 7, len(cid)) + cid   # api_key 18 = ApiVersions
    s.sendall(struct.pack(">i", len(body)) + body)
    (size,) = struct.unpack(">i", read(s, 4))
    corr, err = struct.unpack(">ih", read(s, size)[:6])
    sys.exit(0 if (corr, err) == (7, 0) else 1)
except (OSError, struct.error):
    sys.exit(1)
PY
}

kafka_stop_pid() { # kafka_stop_pid PID: SIGTERM, then SIGKILL after STOP_TIMEOUT
  local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "kafka: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$KAFKA_PID_FILE"
}

kafka_fail() { # kafka_fail OFFSET MESSAGE: show this start's output and log lines, then die
  local offset=$1 msg=$2
  tail_log "$KAFKA_OUT" 20
  if [[ -s $KAFKA_LOG ]] && (($(stat -c %s "$KAFKA_LOG") > offset)); then
    printf -- '----- last 40 lines of %s (this start) -----\n' "$KAFKA_LOG" >&2
    tail -c +"$((offset + 1))" "$KAFKA_LOG" | tail -n 40 >&2
    printf -- '-----\n' >&2
  else
    printf '[stack] (nothing logged to %s by this start)\n' "$KAFKA_LOG" >&2
  fi
  die "$msg"
}

kafka_up() {
  local pid java t0 offset deadline
  if pid=$(kafka_pid); then
    kafka_api_ready || say "kafka: WARNING pid $pid is running but does not answer on 127.0.0.1:$KAFKA_PORT (started with another VFP_KAFKA_PORT?)"
    say "kafka: already running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
    return 0
  fi
  rm -f "$KAFKA_PID_FILE"
  java=$(java_bin)
  if [[ -z $java ]]; then
    apt_install "Java 17+ (Kafka 4.x runs on it)" default-jre-headless
    java=$(java_bin)
  fi
  kafka_fetch_jars
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    ! port_open "$p" || die "kafka: port $p is already in use by another process (set VFP_KAFKA_PORT)"
  done
  kafka_render_config
  t0=$(now)
  kafka_format_storage

  # Remember where this start's log lines begin, to find *this* start's ready line.
  offset=$(stat -c %s "$KAFKA_LOG" 2>/dev/null || echo 0)
  # shellcheck disable=SC2086  # KAFKA_HEAP / VFP_KAFKA_JAVA_OPTS are word lists
  nohup "$java" $KAFKA_HEAP -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_SRC/log4j2.xml" -Dkafka.logs.dir="$LOG_DIR" \
    ${VFP_KAFKA_JAVA_OPTS:-} \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_PROPS" \
    </dev/null >"$KAFKA_OUT" 2>&1 &
  pid=$!
  echo "$pid" >"$KAFKA_PID_FILE"

  deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$KAFKA_PID_FILE"
      kafka_fail "$offset" "kafka: broker exited during start-up (logs: $KAFKA_LOG, $KAFKA_OUT)"
    fi
    # log4j may have rolled the file meanwhile; then read it from the start.
    (($(stat -c %s "$KAFKA_LOG" 2>/dev/null || echo 0) >= offset)) || offset=0
    # Not `tail | grep -q`: grep stopping early kills tail with SIGPIPE, and pipefail then
    # reads a found line as not found whenever this start logged more than a pipe buffer.
    if grep -q 'Kafka Server started' < <(tail -c +"$((offset + 1))" "$KAFKA_LOG" 2>/dev/null) && kafka_api_ready; then
      break
    fi
    if ((SECONDS >= deadline)); then
      # Do not leave a half-started broker behind: the next `up` would call it running.
      kafka_stop_pid "$pid"
      kafka_fail "$offset" "kafka: not ready after ${KAFKA_START_TIMEOUT}s, stopped it again (logs: $KAFKA_LOG)"
    fi
    sleep 0.2
  done
  say "kafka: ready on 127.0.0.1:$KAFKA_PORT in $(since "$t0") (pid $pid, log $KAFKA_LOG)"
}

kafka_down() {
  local pid t0
  if ! pid=$(kafka_pid); then
    rm -f "$KAFKA_PID_FILE"
    say "kafka: not running"
    return 0
  fi
  t0=$(now)
  kafka_stop_pid "$pid"
  say "kafka: stopped (pid $pid, $(since "$t0"))"
}

kafka_status() {
  local pid state=stopped
  pid=$(kafka_pid) && state=running || pid=-
  printf '%-9s %-8s pid %-8s port 127.0.0.1:%-6s log %s\n' kafka "$state" "$pid" "$KAFKA_PORT" "$KAFKA_LOG"
}

# ----------------------------------------------------------------------------- PostgreSQL

pg_bin_dir() {
  # The machine's own binaries; highest major version wins.
  if [[ -n ${VFP_PG_BIN:-} ]]; then echo "$VFP_PG_BIN"; return 0; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) || true
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}

pg_ensure_installed() {
  pg_bin_dir >/dev/null && return 0
  apt_install "PostgreSQL server binaries (/usr/lib/postgresql/*/bin)" postgresql
  pg_bin_dir >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
}

# initdb, pg_ctl and postgres refuse to run as root: use the postgres account then.
# cd / first: postgres may not be allowed into the caller's folder (e.g. /root/...).
as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_os_user() { if is_root; then echo postgres; else id -un; fi; }

pg_running() { [[ -f $PG_DATA/PG_VERSION ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_pid() { pg_running && head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null; }

pg_clear_stale_locks() {
  # After a SIGKILL or a machine restart the lock files remain, and their pid may
  # now belong to an unrelated process: then pg_ctl calls the server running and
  # postgres refuses to start. Drop lock files whose pid is not our postmaster.
  local f pid
  for f in "$PG_DATA/postmaster.pid" "$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT.lock"; do
    [[ -f $f ]] || continue
    pid=$(head -n 1 "$f" 2>/dev/null) || pid=
    if [[ $pid =~ ^[0-9]+$ ]] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -F -- "-D $PG_DATA" >/dev/null; then
      continue
    fi
    say "postgres: removing stale $f (pid ${pid:-?} is not this cluster's server)"
    rm -f "$f"
  done
}

pg_prepare_dirs() {
  local owner
  owner=$(pg_os_user)
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run PostgreSQL as"
  fi
  mkdir -p "$PG_STATE" "$PG_SOCKET_DIR"
  touch "$PG_LOG"
  # The server writes these itself, so they belong to its user.
  chown "$owner" "$PG_STATE" "$PG_SOCKET_DIR" "$PG_LOG"
  chmod 0755 "$PG_STATE" "$PG_SOCKET_DIR"
}

pg_initdb() {
  # Only when not initialised yet: PG_VERSION is written by initdb.
  if [[ -f $PG_DATA/PG_VERSION ]]; then
    local have want
    have=$(<"$PG_DATA/PG_VERSION")
    want=$("$PG_BIN/postgres" --version | awk '{print $NF}' | cut -d. -f1)
    [[ $have == "$want" ]] || die "postgres: $PG_DATA was made by PostgreSQL $have but the binaries are $want; run '$0 reset'"
    return 0
  fi
  local t0
  t0=$(now)
  # Superuser = the OS user (peer auth on the socket); the app role gets a password.
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$(pg_os_user)" -E UTF8 --locale=C \
      --auth-local=peer --auth-host=scram-sha-256 >"$LOG_DIR/initdb.log" 2>&1; then
    tail_log "$LOG_DIR/initdb.log"
    die "postgres: initdb failed"
  fi
  # Socket: app role by password, admin by peer. TCP: loopback only, password only.
  as_pg tee "$PG_DATA/pg_hba.conf" >/dev/null <<EOF
# Written by deploy/stack.sh
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       $DB_USER                 scram-sha-256
local   all       all                      peer
host    all       all       127.0.0.1/32   scram-sha-256
EOF
  say "postgres: initialised $PG_DATA ($(since "$t0"))"
}

pg_provision() {
  # Idempotent: role and database are created once, password/ownership re-asserted.
  as_pg "$PG_BIN/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$(pg_os_user)" -d postgres \
    -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN;
  END IF;
END \$\$;
ALTER ROLE $DB_USER WITH LOGIN NOSUPERUSER PASSWORD '$DB_PASSWORD';
SELECT 'CREATE DATABASE $DB_NAME OWNER $DB_USER'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME') \gexec
ALTER DATABASE $DB_NAME OWNER TO $DB_USER;
-- Services create their own schemas.
GRANT CONNECT, CREATE, TEMPORARY ON DATABASE $DB_NAME TO $DB_USER;
SQL
}

pg_up() {
  pg_ensure_installed
  PG_BIN=$(pg_bin_dir)
  pg_prepare_dirs
  pg_clear_stale_locks
  if pg_running; then
    say "postgres: already running (pid $(pg_pid), 127.0.0.1:$PG_PORT)"
    pg_provision
    return 0
  fi
  ! port_open "$PG_PORT" || die "postgres: port $PG_PORT is already in use by another process (set VFP_PG_PORT)"
  local t0 opts
  t0=$(now)
  pg_initdb
  opts="-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c max_connections=200"
  if [[ ${VFP_PG_FAST:-0} == 1 ]]; then
    # Crash safety off: only for throwaway test data.
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "$opts" -w -t "$PG_START_TIMEOUT" start >/dev/null 2>&1; then
    tail_log "$PG_LOG"
    die "postgres: did not start within ${PG_START_TIMEOUT}s (log: $PG_LOG)"
  fi
  pg_provision
  say "postgres: ready on 127.0.0.1:$PG_PORT in $(since "$t0") (pid $(pg_pid), log $PG_LOG)"
}

pg_down() {
  PG_BIN=$(pg_bin_dir) || true
  if [[ -z ${PG_BIN:-} ]] || ! pg_running; then
    say "postgres: not running"
    return 0
  fi
  local t0
  t0=$(now)
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null 2>&1; then
    tail_log "$PG_LOG" 20
    die "postgres: pg_ctl stop failed"
  fi
  say "postgres: stopped ($(since "$t0"))"
}

pg_status() {
  local pid state=stopped
  PG_BIN=$(pg_bin_dir) || true
  if [[ -n ${PG_BIN:-} ]] && pid=$(pg_pid) && [[ -n $pid ]]; then state=running; else pid=-; fi
  printf '%-9s %-8s pid %-8s port 127.0.0.1:%-6s log %s\n' postgres "$state" "$pid" "$PG_PORT" "$PG_LOG"
}

# ----------------------------------------------------------------------------- commands

print_env() {
  echo "export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT"
  echo "export DATABASE_URL=postgresql+asyncpg://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"
}

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

main() {
  local cmd=${1:-} what=${2:-all}
  case $what in all | kafka | postgres) ;; *) usage ;; esac
  case $cmd in
    up)
      take_lock "$@"
      ensure_state_dir
      say "state dir $STATE_DIR"
      [[ $what == postgres ]] || kafka_up
      [[ $what == kafka ]] || pg_up
      ;;
    down)
      [[ -d $STATE_DIR ]] || { say "nothing to stop ($STATE_DIR does not exist)"; return 0; }
      take_lock "$@"
      [[ $what == postgres ]] || kafka_down
      [[ $what == kafka ]] || pg_down
      ;;
    status)
      say "state dir $STATE_DIR"
      kafka_status
      pg_status
      ;;
    env) print_env ;;
    reset)
      [[ -d $STATE_DIR ]] || { say "nothing to reset ($STATE_DIR does not exist)"; return 0; }
      take_lock "$@"
      kafka_down
      pg_down
      # Refuse to delete anything that does not look like our state dir.
      [[ -n $STATE_DIR && $STATE_DIR != / ]] || die "refusing to delete '$STATE_DIR'"
      rm -rf "$STATE_DIR"
      say "deleted $STATE_DIR"
      ;;
    *) usage ;;
  esac
}

main "$@"
