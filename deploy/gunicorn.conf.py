"""gunicorn settings for the Bastion platform (`gunicorn -c deploy/gunicorn.conf.py bastion.wsgi:app`)."""

import os

from bastion.checks import gunicorn_workers

bind = os.environ.get("BASTION_BIND", "127.0.0.1:8000")
# BASTION_WORKERS, else 2 x the CPUs this process may use + 1; `bastion check` counts them the same way.
workers = gunicorn_workers()
# Thread workers, so that a stalled database cannot take a whole worker: one service may hold at most
# bastion.bulkheads.MAX_REQUESTS_PER_SERVICE (4) of a worker's threads; the others serve everything else.
# The class is gunicorn's gthread worker whose own refusals (a request line over limit_request_line,
# malformed HTTP, oversized headers) answer the platform's JSON envelope instead of an HTML page.
worker_class = "bastion.serving.JsonErrorWorker"
threads = 8
# The longest request line gunicorn reads (its maximum): longer URLs get a JSON 414.
limit_request_line = 8190
timeout = 30
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (a bound on any slow leak). A replacement costs about
# 0.2 s of CPU (imports, app, first request's caches): at 10,000 that was 2-3 % of a by-id read's CPU.
max_requests = 100000
max_requests_jitter = 10000
accesslog = "-"
errorlog = "-"
# The path only (%(U)s), never the query string: it may carry api_key or session_token. The logger writes
# each record on one line: a control character in a path (%0a, %00) is escaped, never a new line.
logger_class = "bastion.serving.OneLineLogger"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'
# gunicorn believes no forwarded header from any peer: the platform alone decides whom to believe
# (TRUSTED_PROXIES, TRUSTED_PROXY_IPS). Otherwise gunicorn turns a client's X-Forwarded-Proto: https into
# wsgi.url_scheme=https before the app sees it. UNIX-socket peers count as trusted for gunicorn whatever
# forwarded_allow_ips says, so the header lists it would act on are emptied as well.
forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""
# gunicorn 25+ opens a control socket, by default in ~/.gunicorn: one file for every gunicorn of the user
# (test servers, `make run`) and read-only under the systemd unit's ProtectHome. Each platform keeps its
# own in its instance folder, or none where that path is too long for a UNIX socket name (107 bytes).
# Older gunicorns ignore both names.
_control = os.path.join(os.path.abspath(os.environ.get("BASTION_INSTANCE", "instance")), "gunicorn.ctl")
if len(_control.encode()) < 100:
    control_socket = _control
else:
    control_socket_disable = True
