#!/usr/bin/env bash
# `make run`: initialise the instance, create the demo admin, start the platform under gunicorn, and serve
# the built admin SPA (frontend/dist) on another origin, 127.0.0.1:$SPA_PORT, stopped with the platform.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
SPA_PORT=${SPA_PORT:-5173}
SPA_ORIGIN="http://127.0.0.1:$SPA_PORT"
BIN=.venv/bin
export BASTION_INSTANCE=${BASTION_INSTANCE:-$PWD/instance}
# A local demo on plain HTTP: production safety checks stay on except HTTPS, which needs nginx in front.
export APP_ENV=${APP_ENV:-local}

$BIN/bastion init --admin-origin "$SPA_ORIGIN"
$BIN/bastion create-admin --email admin@example.com --name "Demo Admin" --generate-password --if-missing
$BIN/bastion demo

# The SPA reads config.json next to index.html at start-up; nothing about the platform is built in.
API_HOST=$HOST
[ "$HOST" = "0.0.0.0" ] && API_HOST=127.0.0.1
# Its key is the console app's: public by nature, it grants nothing but the roles assigned for that app.
$BIN/bastion console-config --api-base-url "http://$API_HOST:$PORT" --output frontend/dist/config.json
(cd frontend && exec node_modules/.bin/vite preview --host 127.0.0.1 --port "$SPA_PORT" --strictPort >/dev/null) &
SPA_PID=$!
$BIN/gunicorn --config deploy/gunicorn.conf.py --bind "$HOST:$PORT" bastion.wsgi:app &
API_PID=$!
# Either process ending (or Ctrl-C) stops both.
trap 'kill "$SPA_PID" "$API_PID" 2>/dev/null; wait' EXIT
trap 'exit 130' INT TERM

echo
echo "Bastion platform: http://$HOST:$PORT/api/v2  (admin login: admin@example.com)"
echo "Admin SPA:        $SPA_ORIGIN/"
echo "If the admin already existed, reset its password with: $BIN/bastion set-password --email admin@example.com"
echo
wait -n "$SPA_PID" "$API_PID"
