#!/usr/bin/env bash
# `make run`: initialise the instance, create the demo admin, start the platform under gunicorn.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
BIN=.venv/bin
export BASTION_INSTANCE=${BASTION_INSTANCE:-$PWD/instance}
# A local demo on plain HTTP: production safety checks stay on except HTTPS, which needs nginx in front.
export APP_ENV=${APP_ENV:-local}

$BIN/bastion init
$BIN/bastion create-admin --email admin@example.com --name "Demo Admin" --generate-password --if-missing

echo
echo "Bastion platform: http://$HOST:$PORT/api/v2  (admin login: admin@example.com)"
echo "If the admin already existed, reset its password with: $BIN/bastion set-password --email admin@example.com"
echo
exec $BIN/gunicorn --config deploy/gunicorn.conf.py --bind "$HOST:$PORT" bastion.wsgi:app
