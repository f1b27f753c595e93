# Production image. Expects EDC_DATABASE_URL=postgresql+psycopg://... and EDC_SECRET_KEY.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EDC_ENV=production \
    EDC_UPLOAD_DIR=/var/lib/edc/uploads

# The app runs as `edc`, which can write only where queued uploads wait for a worker. Servers that
# share one PostgreSQL database and run upload workers must share this folder too (one volume).
RUN useradd --create-home --uid 10001 edc \
    && mkdir -p /var/lib/edc/uploads && chown -R edc /var/lib/edc
VOLUME /var/lib/edc
WORKDIR /srv/edc

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
RUN pip install . && rm -rf build

# `edc db upgrade` finds migrations/ in the working directory; forms/ holds the study definition.
COPY migrations ./migrations
COPY forms ./forms

USER edc
EXPOSE 8000
ENTRYPOINT ["sh", "-c", "edc db upgrade && exec edc serve --host 0.0.0.0 --port 8000"]
