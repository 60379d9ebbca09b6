#!/usr/bin/env bash
# Make sure PostgreSQL, MariaDB and Redis answer on 127.0.0.1; start any that is down, or fail clearly.
set -u

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
mysql_up() { mysqladmin --connect-timeout=2 -h 127.0.0.1 -P 3306 -uroot status >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

start_pg() { pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start; }
start_mysql() { start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd; }
start_redis() {
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

ensure() {
  local name=$1 check=$2 start=$3
  $check && return 0
  echo "services: $name is down, starting it"
  $start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do
    $check && { echo "services: $name is up"; return 0; }
    sleep 1
  done
  echo "services: ERROR: $name does not answer on 127.0.0.1 and could not be started" >&2
  exit 1
}

ensure PostgreSQL pg_up start_pg
ensure MariaDB mysql_up start_mysql
ensure Redis redis_up start_redis
