#!/bin/sh
# The services' container entrypoint. For every NAME_FILE variable (compose `secrets` mounted under
# /run/secrets) it exports NAME with the file's content, so no secret sits in the compose file or in
# `docker inspect`; then it starts node with the telemetry preload and the given program.
set -eu

for pair in $(env | grep -E '^[A-Z][A-Z0-9_]*_FILE=' | cut -d= -f1); do
  name=${pair%_FILE}
  file=$(printenv "$pair")
  if [ ! -r "$file" ]; then
    echo "cinemetrics-entrypoint: $pair names $file, which is not readable" >&2
    exit 2
  fi
  value=$(cat "$file")
  export "$name=$value"
  unset "$pair"
done

exec node --require @cinemetrics/kit/register "$@"
