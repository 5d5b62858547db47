# Couples Rehab: one image for web (gunicorn), worker, beat and migrate (docker-compose.yml).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/app/data

WORKDIR /app

# The processes run as this user. It owns DATA_DIR only: the code stays read-only to it.
RUN groupadd --system app \
    && useradd --system --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

# Dependencies first, so a code change does not reinstall them. The lock also pins the dev
# tools (pytest, ruff, playwright's Python package): there is one lock, and every wheel in it
# is hash-checked.
COPY requirements.lock ./
RUN pip install --require-hashes --no-cache-dir -r requirements.lock

COPY . .
RUN mkdir -p "$DATA_DIR" && chown app:app "$DATA_DIR"

# Static files are collected into the image (/app/staticfiles, root-owned, served by whitenoise),
# so every web container serves the same files, apart from the DATA_DIR volume. Settings
# refuse to load without SECRET_KEY when DEBUG is off: this key exists for this one command and
# never reaches a running container.
RUN DEBUG=false SECRET_KEY=build-only-key-for-collectstatic-never-used-at-run-time \
    python manage.py collectstatic --noinput

USER app

EXPOSE 8000

# Two sync workers per container (NOTES.md: gthread gave no gain on 2 cores); scale with more
# containers. Access and error logs go to stdout/stderr (the access log without query strings
# or tokens: config/gunicorn.conf.py); heartbeat files live in memory.
CMD ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "30", "--graceful-timeout", "30", "--access-logfile", "-", "--error-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
