#!/bin/sh
# The services' container entrypoint. For each secret variable below, NAME_FILE (a compose secret
# mounted under /run/secrets) becomes NAME with the file's content, so no secret sits in the compose
# file or in `docker inspect`. Only these names: other *_FILE variables (SSL_CERT_FILE, …) are paths
# meant as paths. Then it starts node with the services' Node options (packages/kit/src/node-flags.ts),
# the telemetry preload and the given program.
set -eu

SECRET_VARIABLES="MYSQL_URL ADMIN_TOKEN AUTH_ADMIN_PASSWORD AUTH_CLIENTS AUTH_CLIENT_SECRET"

for name in $SECRET_VARIABLES; do
  file=$(printenv "${name}_FILE" || true)
  [ -n "$file" ] || continue
  if [ ! -r "$file" ]; then
    echo "cinemetrics-entrypoint: ${name}_FILE names $file, which is not readable" >&2
    exit 2
  fi
  value=$(cat "$file")
  export "$name=$value"
  unset "${name}_FILE"
done

exec node --max-semi-space-size=8 --heap-growing-percent=50 --require @cinemetrics/telemetry/register "$@"
