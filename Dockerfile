# vbp service image: the same pinned dependencies as `make` (constraints.txt), a non-root user,
# migrations applied as a pre-start step. Data lives in /data (SQLite by default); set
# VBP_DATABASE_URL=postgresql+psycopg://… for PostgreSQL. VBP_WORKERS worker processes serve
# (one per CPU is a good start; SQLite always runs one).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VBP_DATABASE_URL=sqlite:////data/vbp.db \
    VBP_WORKERS=2

WORKDIR /srv/vbp
COPY pyproject.toml constraints.txt alembic.ini ./
COPY solver ./solver
COPY app ./app
COPY migrations ./migrations
COPY examples ./examples
# Installed in place (editable), so the app finds migrations/ beside it as it does in a checkout.
RUN pip install -c constraints.txt -e .

RUN useradd --system --uid 10001 --home-dir /srv/vbp vbp \
    && mkdir -p /data && chown vbp:vbp /data
USER vbp
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"

# Pre-start: migrations; then the service.
CMD ["sh", "-c", "vbp migrate && exec vbp serve --host 0.0.0.0 --port 8000"]
