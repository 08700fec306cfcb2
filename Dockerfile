# One image for web (gunicorn), worker and beat (celery); docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PSN_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

WORKDIR /app

# WeasyPrint (the reports' PDF) draws text with Pango and needs fonts; nothing else comes from Debian.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system psn \
    && useradd --system --gid psn --home-dir /app --shell /usr/sbin/nologin psn

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Static files are part of the image (whitenoise serves them); the key only lets settings load.
RUN DEBUG=false SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var /data/media \
    && chown -R psn:psn /app/var /data/media

USER psn
EXPOSE 8000

CMD ["gunicorn", "psn.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
