#!/bin/sh
# Creates (or updates) the Secrets the manifests reference, in namespace cinemetrics, from the files
# docker/secrets.sh writes (random values, never committed): the same credentials as compose. Values go
# from the files to the API server through kubectl; none is printed or written into a manifest.
#   sh docker/secrets.sh && sh deploy/kubernetes/secrets.sh [folder]      (folder: ./secrets)
# Production clusters usually sync these from a secret manager instead (docs/kubernetes.md).
set -eu

dir=${1:-secrets}
namespace=${CINEMETRICS_NAMESPACE:-cinemetrics}

for file in mysql_root_password metadata_db_password rating_db_password auth_db_password \
  metadata_mysql_url rating_mysql_url auth_mysql_url admin_token auth_admin_password auth_clients \
  movie_client_secret grafana_admin_password; do
  if [ ! -s "$dir/$file" ]; then
    echo "deploy/kubernetes/secrets.sh: $dir/$file is missing: run sh docker/secrets.sh first" >&2
    exit 2
  fi
done

kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -

# secret NAME KEY=FILE...: created or replaced in place.
secret() {
  name=$1
  shift
  set -- $(for pair in "$@"; do printf -- '--from-file=%s/%s ' "${pair%%=*}=$dir" "${pair#*=}"; done)
  kubectl -n "$namespace" create secret generic "$name" "$@" --dry-run=client -o yaml | kubectl apply -f -
}

secret metadata-database url=metadata_mysql_url
secret rating-database url=rating_mysql_url
secret auth-database url=auth_mysql_url
secret cinemetrics-admin-token token=admin_token
secret auth-admin password=auth_admin_password
secret auth-clients clients.json=auth_clients
secret movie-client secret=movie_client_secret
# Used by the local overlay only: Grafana's administrator and the in-cluster MariaDB's init script.
secret grafana-admin password=grafana_admin_password
secret mysql-init mysql_root_password=mysql_root_password metadata_db_password=metadata_db_password \
  rating_db_password=rating_db_password auth_db_password=auth_db_password
