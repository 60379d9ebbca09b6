"""The WSGI entry point for gunicorn: `gunicorn bastion.wsgi:app`."""

from bastion import create_app

app = create_app()
