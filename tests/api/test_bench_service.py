"""The service benchmark runs end to end at a tiny size (PostgreSQL only): every phase
answers without errors and the report prints every figure. Timings are not checked."""

import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from app.db import REPO_ROOT, normalise_url
from tests.conftest import PG_ENV, drop_pg_database, worker_database_name


@pytest.mark.slow
def test_the_service_benchmark_runs_at_a_tiny_size(worker_id: str) -> None:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: the service benchmark needs PostgreSQL")
    name = worker_database_name(worker_id, "_bench")
    url = make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.service", "--database-url", url, "--groups", "6",
             "--institutions", "2", "--bulk-clients", "2", "--clients", "3",
             "--requests-per-client", "4", "--warmup", "1", "--paced-rate", "30",
             "--paced-seconds", "0.5", "--workers", "1", "--skip-award"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        drop_pg_database(base, name)
    assert done.returncode == 0, done.stderr[-2000:]
    for figure in (
        "bulk demand import, 1 upload at a time",
        "bulk demand import, 2 at once",
        "bid submission, 3 clients, closed",
        "bid submission, paced at 30 r/s",
        "baseline: GET /health",
        "per request server",
    ):
        assert figure in done.stdout, done.stdout
    assert "errors" not in done.stdout, done.stdout
