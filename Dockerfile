# Production image. Expects EDC_DATABASE_URL=postgresql+psycopg://... and EDC_SECRET_KEY.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    EDC_ENV=production

RUN useradd --create-home --uid 10001 edc
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
