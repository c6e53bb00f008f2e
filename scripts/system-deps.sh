#!/usr/bin/env bash
# Installs what the tests start when it is missing: the real servers (MariaDB, Prometheus with
# promtool, Alertmanager) and script(1), from Debian's packages. Runs before `npm test`; needs root (or sudo) to install.
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || [ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
# script(1) gives a service a pseudo-terminal in the pretty-logs test; Debian ships it in bsdutils.
command -v script >/dev/null 2>&1 || need+=(bsdutils)
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing for the tests: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
# The packages start their own daemons; the tests start private ones on temporary directories and free ports.
for unit in mariadb prometheus prometheus-alertmanager; do
  $sudo service "$unit" stop >/dev/null 2>&1 || true
done
