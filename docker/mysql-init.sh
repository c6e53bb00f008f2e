#!/bin/sh
# Runs once, on the first start of an empty MariaDB volume (/docker-entrypoint-initdb.d): one database
# and one user per service, each user allowed only its own database. Passwords come from the compose
# secrets; the services create their tables themselves (migrations at start-up).
set -eu

for service in metadata rating auth; do
  password=$(cat "/run/secrets/${service}_db_password")
  mariadb --user=root --password="$(cat /run/secrets/mysql_root_password)" <<SQL
CREATE DATABASE IF NOT EXISTS \`${service}\`;
CREATE USER IF NOT EXISTS '${service}'@'%' IDENTIFIED BY '${password}';
GRANT ALL PRIVILEGES ON \`${service}\`.* TO '${service}'@'%';
SQL
done
