#!/bin/sh
# The backend container's command: bring the schema up to date, load the demo products
# (idempotent), then replace this shell with gunicorn so it gets signals as PID 1.
#
# Only the backend runs this. It is a single service (nginx's one upstream), and the
# workers start only once it is healthy, so migrations never run twice at the same time.
set -eu

flask --app wsgi db upgrade
flask --app wsgi seed
# Settings (bind address, worker class and counts) come from ./gunicorn.conf.py.
exec gunicorn wsgi:app
