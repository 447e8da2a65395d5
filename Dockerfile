# One Dockerfile, three stages that matter (see docker-compose.yml):
#   assets   - Node installs htmx.org from npm (package-lock.json pins it)
#   frontend - nginx serving /static and proxying everything else to the backend
#   app      - the Python image shared by the backend (gunicorn) and the worker
# `docker build .` builds `app`, the last stage.

# --- htmx from npm: the same file `make assets` copies ---------------------------------
FROM node:22-alpine AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && mkdir -p static/vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

# --- Python packages into a virtualenv; only the venv reaches the final image ----------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
# Every pinned requirement ships a wheel (psycopg2-binary bundles libpq), so no compiler
# is needed here either; the wheels are built once and installed from the local dir.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels -r requirements.txt

# --- frontend: nginx as an unprivileged user (uid 101), listening on 3000 and 5000 ------
FROM nginxinc/nginx-unprivileged:1.27-alpine AS frontend
# The nginx image renders /etc/nginx/templates/*.template into /etc/nginx/conf.d/ at
# start, substituting only these variables (nginx's own $host etc. stay as they are).
ENV BACKEND_ADDR=backend:8000 \
    FRONTEND_PORT=3000 \
    API_PORT=5000 \
    STATIC_ROOT=/srv/bakery \
    UPLOAD_ROOT=/srv/uploads
COPY deploy/nginx/bakery.conf.template /etc/nginx/templates/default.conf.template
COPY app/static /srv/bakery/static
COPY --from=assets /build/static/vendor /srv/bakery/static/vendor
EXPOSE 3000 5000

# --- app: backend (default command) and worker (`python -m worker`) ----------------------
FROM python:3.11-slim-bookworm AS app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FLASK_APP=wsgi
# The code belongs to root and is read-only for the app's user; only instance/ (Flask's
# instance folder, created at start) and /srv/uploads (the pictures' volume, which Docker
# fills from this folder, owner included, when it is first mounted) are writable.
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin bakery
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY wsgi.py gunicorn.conf.py ./
COPY app ./app
COPY migrations ./migrations
COPY worker ./worker
COPY deploy/backend-entrypoint.sh ./deploy/backend-entrypoint.sh
COPY --from=assets /build/static/vendor ./app/static/vendor
RUN mkdir instance /srv/uploads && chown bakery:bakery instance /srv/uploads
USER 10001:10001
# gunicorn's port: 5000 by default (gunicorn.conf.py); Compose binds it to 8000, unpublished, behind nginx.
EXPOSE 5000 8000
# No HEALTHCHECK here: the worker shares this image and serves no HTTP; the backend's
# healthcheck (GET /health) is in docker-compose.yml.
CMD ["deploy/backend-entrypoint.sh"]
