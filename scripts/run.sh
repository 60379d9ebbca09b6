#!/usr/bin/env bash
# `make run`: initialise the instance, create the demo admin, start the platform under gunicorn, and serve
# the built admin SPA (frontend/dist) on another origin, 127.0.0.1:$SPA_PORT, stopped with the platform.
# Once both answer, one banner gives the SPA's URL and the admin's e-mail and password together; Ctrl-C
# stops both and ends with status 0.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
SPA_PORT=${SPA_PORT:-5173}
SPA_ORIGIN="http://127.0.0.1:$SPA_PORT"
BIN=${BIN:-.venv/bin}
EMAIL=admin@example.com
export BASTION_INSTANCE=${BASTION_INSTANCE:-$PWD/instance}
# A local demo on plain HTTP: production safety checks stay on except HTTPS, which needs nginx in front.
export APP_ENV=${APP_ENV:-local}

$BIN/bastion init --admin-origin "$SPA_ORIGIN"
# The generated password is kept for the banner rather than printed here, where request logs bury it.
ADMIN_OUT=$($BIN/bastion create-admin --email "$EMAIL" --name "Demo Admin" --generate-password --if-missing)
PASSWORD=$(sed -n 's/^password (shown once): //p' <<<"$ADMIN_OUT")
grep -v '^password (shown once): ' <<<"$ADMIN_OUT" || true
$BIN/bastion demo

# The SPA reads config.json next to index.html at start-up; nothing about the platform is built in.
API_HOST=$HOST
[ "$HOST" = "0.0.0.0" ] && API_HOST=127.0.0.1
API_URL="http://$API_HOST:$PORT"
# Its key is the console app's: public by nature, it grants nothing but the roles assigned for that app.
$BIN/bastion console-config --api-base-url "$API_URL" --output frontend/dist/config.json

# Ctrl-C is how a user stops the demo: stop both servers and end with status 0, not 130.
stop() {
  trap - INT TERM EXIT
  kill "${SPA_PID:-}" "${API_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

(cd frontend && exec node_modules/.bin/vite preview --host 127.0.0.1 --port "$SPA_PORT" --strictPort >/dev/null) &
SPA_PID=$!
# deploy/gunicorn.conf.py keeps gunicorn's control socket in the instance folder, not in ~/.gunicorn.
$BIN/gunicorn --config deploy/gunicorn.conf.py --bind "$HOST:$PORT" bastion.wsgi:app &
API_PID=$!

# The banner waits for both servers, so it is the last thing printed before requests arrive.
for _ in $(seq 300); do
  if curl -fs -o /dev/null "$API_URL/api/v2/system/environment" && curl -fs -o /dev/null "$SPA_ORIGIN/"; then
    break
  fi
  kill -0 "$SPA_PID" 2>/dev/null && kill -0 "$API_PID" 2>/dev/null || break
  sleep 0.2
done

if [ -n "$PASSWORD" ]; then
  PASSWORD_LINE="Password:   $PASSWORD   (shown once: keep it)"
else
  PASSWORD_LINE="Password:   set on the first run; to reset it: $BIN/bastion set-password --email $EMAIL"
fi
cat <<EOF

================================================================================
 Bastion is running. Open the admin console and log in:

   Admin SPA:  $SPA_ORIGIN/
   E-mail:     $EMAIL
   $PASSWORD_LINE

 Platform API: $API_URL/api/v2      Stop both with Ctrl-C.
================================================================================

EOF
# Either process ending stops both; its status is the script's.
set +e
wait -n "$SPA_PID" "$API_PID"
stop $?
