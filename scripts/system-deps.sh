#!/usr/bin/env bash
# Installs what the tests start when it is missing: MariaDB and script(1), from Debian's packages.
# Prometheus, promtool, Alertmanager, amtool, Jaeger, the collector and VictoriaLogs are built from
# their pinned Go modules by `npm run stack:build`, which runs after this. Runs before `npm test`;
# needs root (or sudo) to install.
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
# script(1) gives a service a pseudo-terminal in the pretty-logs test; Debian ships it in bsdutils.
command -v script >/dev/null 2>&1 || need+=(bsdutils)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing for the tests: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
# The package starts its own daemon; the tests start private ones on temporary directories and free ports.
$sudo service mariadb stop >/dev/null 2>&1 || true
