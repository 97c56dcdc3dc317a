# The ASCC platform. Build: docker build -t ascc .   Run: see README "Production deployment".
# Stage 1 pins and copies the browser libraries; stage 2 is a slim Python runtime without Node.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json Makefile ./
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/* \
 && npm ci --no-audit --no-fund && make vendor

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ASCC_LOG_LEVEL=info WORKERS=4 PORT=8000
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-noto-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 ascc
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ascc ./ascc
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY seed ./seed
COPY --from=assets /build/static/vendor ./static/vendor
# Editable: the code finds templates/, static/, migrations/ and seed/ beside the package, as in a checkout.
RUN pip install -e .
USER ascc
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os;urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/ready')"
# Migrations first (they are idempotent), then several uvicorn workers; database and Redis from the environment.
CMD ["sh", "-c", "ascc db upgrade && exec ascc serve --host 0.0.0.0 --port \"$PORT\" --workers \"$WORKERS\""]
