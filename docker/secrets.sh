#!/bin/sh
# Creates the secrets docker compose reads (./secrets, or the folder given), with random values, once:
# existing files are kept, so running it again never changes a password a volume already uses. The
# folder is private to you (0700); the files are world-readable so that the containers' own users
# (mysql, node, grafana) can read them where compose mounts them.
#   sh docker/secrets.sh [folder]
set -eu

dir=${1:-secrets}
mkdir -p "$dir"
chmod 700 "$dir"
umask 022

random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

write_once() {
  if [ ! -s "$dir/$1" ]; then
    printf '%s' "$2" > "$dir/$1"
    echo "created $dir/$1"
  fi
}

write_once mysql_root_password "$(random)"
for service in metadata rating auth; do
  write_once "${service}_db_password" "$(random)"
  # The server only: each service creates and uses the database named after it.
  write_once "${service}_mysql_url" "mysql://${service}:$(cat "$dir/${service}_db_password")@mysql:3306"
done
write_once admin_token "$(random)"
# The first administrator of auth (user admin) and movie's client secret; auth registers the clients
# listed in auth_clients at every start, so a new movie secret there replaces the old one.
write_once auth_admin_password "$(random)"
write_once movie_client_secret "$(random)"
write_once auth_clients "[{\"clientId\":\"movie\",\"secret\":\"$(cat "$dir/movie_client_secret")\",\"roles\":[\"service\"]}]"
write_once grafana_admin_password "$(random)"
