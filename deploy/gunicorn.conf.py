"""gunicorn settings for the Bastion platform (`gunicorn -c deploy/gunicorn.conf.py bastion.wsgi:app`)."""

import os

from bastion.checks import gunicorn_workers

bind = os.environ.get("BASTION_BIND", "127.0.0.1:8000")
# BASTION_WORKERS, else 2 x the CPUs this process may use + 1; `bastion check` counts them the same way.
workers = gunicorn_workers()
# Thread workers, so that a stalled database cannot take a whole worker: one service may hold at most
# bastion.bulkheads.MAX_REQUESTS_PER_SERVICE (4) of a worker's threads; the others serve everything else.
worker_class = "gthread"
threads = 8
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
# The path only (%(U)s), never the query string: it may carry api_key or session_token.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("BASTION_FORWARDED_ALLOW_IPS", "127.0.0.1")
