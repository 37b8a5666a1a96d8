#!/usr/bin/env bash
# Run a command against the platform's Kafka and PostgreSQL: the servers named by
# KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL when both are set (Docker Compose, a shared
# cluster), else the project-local stack, started first if it is not running.
set -euo pipefail
deploy_dir=$(dirname "${BASH_SOURCE[0]}")
if [[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} && -n ${DATABASE_URL:-} ]]; then
  printf '[stack] using the servers from the environment (KAFKA_BOOTSTRAP_SERVERS=%s)\n' \
    "$KAFKA_BOOTSTRAP_SERVERS" >&2
else
  "$deploy_dir/stack.sh" up
  eval "$("$deploy_dir/stack.sh" env)"
fi
exec "$@"
