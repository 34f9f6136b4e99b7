# diia-inbox in a container: `docker compose up` (compose.yaml) runs it with PostgreSQL.
# The data folder is a volume; SMTP on 2525 and the web UI on 8080 inside the container.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin diia-inbox

WORKDIR /app
# Install through the same constraints file the test suite ran with.
COPY constraints.txt pyproject.toml setup.py README.md ./
COPY diia_inbox ./diia_inbox
COPY archive ./archive
COPY verify ./verify
COPY ingest ./ingest
COPY search ./search
COPY qrtools ./qrtools
COPY web ./web
# pdftotext: the fallback text extractor for PDFs whose text pypdf garbles. The compiler is
# there only to build the C accelerator (verify/_native.c) and is removed in the same layer.
RUN apt-get update \
    && apt-get install -y --no-install-recommends poppler-utils gcc libc6-dev \
    && pip install -c constraints.txt '.[postgres,s3]' \
    && (cd / && python -c "import verify.native as n; assert n.extension_built()") \
    && apt-get purge -y --auto-remove gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* /root/.cache \
    && mkdir -p /data \
    && chown diia-inbox:diia-inbox /data

USER diia-inbox
ENV DIIA_INBOX_DATA=/data \
    DIIA_INBOX_WEB_HOST=0.0.0.0 \
    DIIA_INBOX_INGEST_SMTP_HOST=0.0.0.0 \
    DIIA_INBOX_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 2525 8080

# Liveness only: a node whose database is down stays up (and /readyz says why).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/livez', timeout=4)"]

ENTRYPOINT ["diia-inbox"]
CMD ["serve"]
