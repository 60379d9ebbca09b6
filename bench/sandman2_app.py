"""sandman2 (PyPI) as a WSGI app for gunicorn: ``gunicorn sandman2_app:app`` with BENCH_DB set.

It runs in its own venv (bench/.venv-sandman2, built by data_bench.py), since sandman2 needs old Flask.
"""

import os

import sandman2

app = sandman2.get_app("sqlite+pysqlite:///" + os.environ["BENCH_DB"], read_only=True)
