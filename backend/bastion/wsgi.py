"""The WSGI entry point for gunicorn: `gunicorn bastion.wsgi:app`."""

import gc

from bastion import create_app

app = create_app()
# The modules and the app built above live as long as the worker: keep them out of the collector's
# full passes, which would otherwise walk all of them again and again while requests run.
gc.freeze()
