# ruff: noqa: F811 -- the fixtures imported from test_bids_support are parameters here
"""The award as a job (SPEC §6–§8): 202 and a job to poll, the outcome stored and the round
awarded; failures recorded readably; the worker process; the guarded transition."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.award.models import AwardJob, JobStatus, OutcomeAllocation, RoundOutcome
from app.clock import FixedClock
from app.db import make_engine
from tests.api.conftest import Api, assert_problem, create_bureau_token
from tests.api.test_bids_support import (  # noqa: F401 (fixtures)
    ROUND,
    World,
    api,
    app,
    bid_all,
    build_world,
    client,
    make_app,
    poll_job,
    world,
)
from tests.conftest import TestDatabase

AWARD = f"/api/v1/rounds/{ROUND}/award"


def test_the_award_answers_202_with_a_job_to_poll(world: World) -> None:
    bid_all(world)
    world.open_bids()
    r = world.client.post(AWARD, json={}, headers=world.api.bureau)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["round_id"] == ROUND
    assert r.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    done = poll_job(world.client, world.api.bureau, job["id"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == {"stage": "done", "done": 5, "total": 5}
    assert done["result"] == f"/api/v1/rounds/{ROUND}/outcome"


def test_a_successful_award_moves_the_round_to_awarded(world: World) -> None:
    bid_all(world)
    world.open_bids()
    world.award()
    r = world.client.get(f"/api/v1/rounds/{ROUND}", headers=world.api.bureau)
    assert r.json()["state"] == "awarded"


def test_the_stored_outcome_is_what_the_engine_computes_for_the_exported_round(
    world: World,
) -> None:
    from solver.document import parse_round_document
    from solver.engine import simulate

    bid_all(world)
    world.open_bids()
    document = world.client.get(f"/api/v1/rounds/{ROUND}/document", headers=world.api.bureau)
    world.award()
    stored = world.outcome().json()
    expected = simulate(parse_round_document(document.json()))
    for o in (stored, expected):
        o["solver"].pop("seconds")
    assert stored == expected
    group = stored["groups"][0]
    assert [w["enterprise"] for w in group["winners"]] == ["E02", "E03"]  # N=3: cap 2


def test_the_outcome_rows_make_each_view_a_query(world: World, database: TestDatabase) -> None:
    bid_all(world)
    world.open_bids()
    world.award()
    outcome = world.outcome().json()
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        rows = session.exec(select(OutcomeAllocation).where(OutcomeAllocation.round_id == ROUND))
        stored = sorted(
            (a.institution_id, a.group_id, a.enterprise_id, str(a.amount)) for a in rows
        )
    assert stored == sorted(
        (a["institution"], a["group"], a["enterprise"], a["amount"]) for a in outcome["allocations"]
    )


def test_award_needs_opened_bids(world: World) -> None:
    r = world.client.post(AWARD, json={}, headers=world.api.bureau)
    problem = assert_problem(r, 409, type_suffix="wrong-state")
    assert "bidding_open" in problem["detail"]


def test_a_round_is_awarded_once(world: World) -> None:
    bid_all(world)
    world.open_bids()
    world.award()
    assert_problem(world.client.post(AWARD, json={}, headers=world.api.bureau), 409)


def test_awarded_cannot_be_reached_without_the_award(world: World) -> None:
    bid_all(world)
    world.open_bids()
    problem = assert_problem(
        world.api.move(ROUND, "awarded"), 409, type_suffix="transition-blocked"
    )
    assert "no outcome" in problem["detail"] and "/award" in problem["detail"]
    assert (problem["from_state"], problem["to_state"]) == ("bids_opened", "awarded")


def test_a_failed_award_records_a_readable_error_and_keeps_the_round(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.award import worker
    from solver.engine import EngineError

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise EngineError("the selection model did not solve to optimality (not_solved)")

    monkeypatch.setattr(worker, "simulate", fail)
    bid_all(world)
    world.open_bids()
    r = world.client.post(AWARD, json={}, headers=world.api.bureau)
    job = poll_job(world.client, world.api.bureau, r.json()["id"])
    assert job["status"] == "failed" and job["result"] is None
    assert "did not solve to optimality" in job["error"]
    state = world.client.get(f"/api/v1/rounds/{ROUND}", headers=world.api.bureau).json()["state"]
    assert state == "bids_opened"


def test_after_a_failure_the_award_can_run_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.award import worker
    from solver.engine import EngineError, simulate

    calls = []

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise EngineError("time limit")
        return simulate(*args, **kwargs)

    monkeypatch.setattr(worker, "simulate", fail_once)
    bid_all(world)
    world.open_bids()
    r = world.client.post(AWARD, json={}, headers=world.api.bureau)
    assert poll_job(world.client, world.api.bureau, r.json()["id"])["status"] == "failed"
    assert world.award()["status"] == "succeeded"


def test_an_unexpected_engine_error_fails_the_job_without_internals(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.award import worker

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("secret internal detail")

    monkeypatch.setattr(worker, "simulate", crash)
    bid_all(world)
    world.open_bids()
    r = world.client.post(AWARD, json={}, headers=world.api.bureau)
    job = poll_job(world.client, world.api.bureau, r.json()["id"])
    assert job["status"] == "failed"
    assert "KeyError" in job["error"] and "secret" not in job["error"]


def running_job(engine: Engine, *, requested_by: str) -> int:
    """A job of the round marked running, as a service process leaves it while it works on
    it (or when it stopped in the middle); its id."""
    with Session(engine) as session:
        job = AwardJob(
            round_id=ROUND,
            status=JobStatus.running,
            solver="cbc",
            time_limit=60,
            requested_by=requested_by,
            requested_by_token=1,
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
        )
        session.add(job)
        session.commit()
        assert job.id is not None
        return job.id


def test_a_job_left_behind_by_a_stopped_service_does_not_block_the_award(
    world: World, database: TestDatabase
) -> None:
    bid_all(world)
    world.open_bids()
    stale_id = running_job(database.engine or make_engine(database.url), requested_by="old")
    assert world.award()["status"] == "succeeded"
    old = world.client.get(f"/api/v1/jobs/{stale_id}", headers=world.api.bureau).json()
    assert old["status"] == "failed" and "interrupted" in old["error"]


def test_a_job_left_behind_ends_when_it_is_read(world: World, database: TestDatabase) -> None:
    # a process killed in the middle of an award left its job running for ever: a poller
    # never reached an end
    engine = database.engine or make_engine(database.url)
    stale_id = running_job(engine, requested_by="old")
    r = world.client.get(f"/api/v1/jobs/{stale_id}", headers=world.api.bureau)
    job = r.json()
    assert job["status"] == "failed" and "interrupted" in job["error"], job
    assert "Retry-After" not in r.headers
    events = world.client.get(
        f"/api/v1/audit?entity_type=award_job&entity_id={stale_id}", headers=world.api.bureau
    ).json()["items"]
    assert [e["action"] for e in events] == ["fail"]


def test_a_job_another_process_works_on_stays_running_when_read(
    world: World, database: TestDatabase
) -> None:
    from app.award.lease import JobLease

    if database.backend != "postgresql":
        pytest.skip("on SQLite the service runs in one process")
    engine = database.engine or make_engine(database.url)
    job_id = running_job(engine, requested_by="the other process")
    other_process = JobLease(engine)
    other_process.hold(job_id)
    try:
        r = world.client.get(f"/api/v1/jobs/{job_id}", headers=world.api.bureau)
        assert r.json()["status"] == "running" and r.headers["Retry-After"] == "1"
    finally:
        other_process.release(job_id)


def test_the_agreement_start_waits_for_a_running_award(
    world: World, database: TestDatabase
) -> None:
    # the job took the round as requested: its outcome names the start it saw
    bid_all(world)
    world.open_bids()
    job_id = running_job(database.engine or make_engine(database.url), requested_by="bureau")
    r = world.client.patch(
        f"/api/v1/rounds/{ROUND}", json={"agreement_start": "2027-02-01"}, headers=world.api.bureau
    )
    body = assert_problem(r, 409, type_suffix="wrong-state")
    assert f"award job {job_id}" in body["detail"]


def test_an_outcome_whose_bases_differ_from_the_locked_ones_is_not_stored(
    world: World, database: TestDatabase
) -> None:
    from app.demand.models import DemandReport

    bid_all(world)
    world.open_bids()
    # a locked base that the reviews no longer give (e.g. locked by an older service)
    with Session(database.engine or make_engine(database.url)) as session:
        report = session.exec(select(DemandReport).order_by(DemandReport.id)).first()
        assert report is not None and report.base_volume is not None
        report.base_volume += 1
        session.add(report)
        session.commit()
        where = f"{report.institution_id}/{report.group_id}"
    job = world.award()
    assert job["status"] == "failed"
    assert "differ from those locked" in job["error"] and where in job["error"]
    r = world.client.get(f"/api/v1/rounds/{ROUND}", headers=world.api.bureau)
    assert r.json()["state"] == "bids_opened"


def test_an_unknown_job_is_404(world: World) -> None:
    assert_problem(world.client.get("/api/v1/jobs/999", headers=world.api.bureau), 404)


def test_the_award_is_audited(world: World) -> None:
    bid_all(world)
    world.open_bids()
    job = world.award()
    events = world.client.get(
        "/api/v1/audit",
        params={"entity_type": "award_job", "entity_id": str(job["id"])},
        headers=world.api.bureau,
    ).json()["items"]
    assert [e["action"] for e in events] == ["request", "succeed"]


def test_the_award_runs_in_a_worker_process(
    database: TestDatabase, clock: FixedClock, tmp_path: Path
) -> None:
    """The default mode: a spawned worker process runs the engine, progress comes back
    through a queue, and the app's lifespan shuts the worker down."""
    app = make_app(database, clock, worker="process")
    with TestClient(app) as client:
        api = Api(client=client, bureau_token=create_bureau_token(database))
        w = build_world(api, clock)
        bid_all(w)
        w.open_bids()
        r = client.post(AWARD, json={"solver": "highs"}, headers=api.bureau)
        assert r.status_code == 202, r.text
        job = poll_job(client, api.bureau, r.json()["id"])
        assert job["status"] == "succeeded", job
        runner = app.state.award_runner
        assert runner.mode == "process"
        pool = runner._pool.executor
        assert pool is not None and {p.pid for p in pool._processes.values()} - {
            __import__("os").getpid()
        }
        outcome = client.get(f"/api/v1/rounds/{ROUND}/outcome", headers=api.bureau).json()
        assert outcome["solver"]["name"] == "highs"
    assert runner._pool.executor is None  # shut down with the app


def test_the_stored_outcome_text_is_canonical(world: World, database: TestDatabase) -> None:
    from solver.engine import dumps_outcome

    bid_all(world)
    world.open_bids()
    world.award()
    r = world.outcome()
    assert r.headers["content-type"].startswith("application/json")
    assert r.text == dumps_outcome(json.loads(r.text))
    engine = database.engine or make_engine(database.url)
    with Session(engine) as session:
        assert session.get(RoundOutcome, ROUND).outcome == r.text  # type: ignore[union-attr]


def test_an_idempotent_retry_of_the_award_returns_the_same_job(world: World) -> None:
    bid_all(world)
    world.open_bids()
    headers = {**world.api.bureau, "Idempotency-Key": "award-1"}
    first = world.client.post(AWARD, json={}, headers=headers)
    again = world.client.post(AWARD, json={}, headers=headers)
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]


def test_a_job_that_another_service_process_works_on_still_blocks_the_award(
    world: World, database: TestDatabase
) -> None:
    """`vbp serve --workers N`: a job is running while some process's runner holds its lease
    (app.award.lease), and is left behind only once none does."""
    from app.award.lease import JobLease

    if database.backend != "postgresql":
        pytest.skip("on SQLite the service runs in one process")
    bid_all(world)
    world.open_bids()
    engine = database.engine or make_engine(database.url)
    job_id = running_job(engine, requested_by="the other process")
    other_process = JobLease(engine)
    other_process.hold(job_id)
    try:
        problem = assert_problem(
            world.client.post(AWARD, json={}, headers=world.api.bureau), 409, type_suffix="conflict"
        )
        assert f"award job {job_id} of round {ROUND} is still running" in problem["detail"]
    finally:
        other_process.release(job_id)  # as if that process stopped
    assert world.award()["status"] == "succeeded"
    old = world.client.get(f"/api/v1/jobs/{job_id}", headers=world.api.bureau).json()
    assert old["status"] == "failed" and "interrupted" in old["error"]


def test_a_lease_is_seen_from_another_session_until_released(database: TestDatabase) -> None:
    from app.award.lease import JobLease, held_elsewhere

    engine = database.engine or make_engine(database.url)
    lease = JobLease(engine)
    lease.hold(4242)
    with Session(engine) as session:
        assert held_elsewhere(session, 4242) is (database.backend == "postgresql")
        assert not held_elsewhere(session, 4243)
    lease.release(4242)
    with Session(engine) as session:
        assert not held_elsewhere(session, 4242)


def test_many_leases_share_one_connection(database: TestDatabase) -> None:
    # a lease per job on a connection each once let queued year simulations take the pool
    from app.award.lease import JobLease, held_elsewhere

    if database.backend != "postgresql":
        pytest.skip("leases are PostgreSQL advisory locks")
    engine = database.engine or make_engine(database.url)
    lease = JobLease(engine)
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]
    for job_id in range(5001, 5031):
        lease.hold(job_id)
    assert engine.pool.checkedout() == checked_out + 1  # type: ignore[attr-defined]
    lease.release(5001)
    with Session(engine) as session:
        assert not held_elsewhere(session, 5001)
        assert all(held_elsewhere(session, j) for j in range(5002, 5031))
    lease.close()
    with Session(engine) as session:
        assert not any(held_elsewhere(session, j) for j in range(5002, 5031))


def test_a_job_that_ended_meanwhile_is_not_failed_as_left_behind(
    world: World, database: TestDatabase
) -> None:
    """GET saw the job running, then found its lease free: the runner had recorded the end
    in between. The job is read again before it is failed. (On SQLite the reader's
    transaction holds the write lock: the runner cannot record the end in between.)"""
    if database.backend != "postgresql":
        pytest.skip("on SQLite one transaction writes at a time")
    from app.auth.models import Role
    from app.auth.service import Principal
    from app.award import service as award_service

    engine = database.engine or make_engine(database.url)
    job_id = running_job(engine, requested_by="bureau")
    with Session(engine, expire_on_commit=False) as reader:
        seen = reader.get(AwardJob, job_id)
        assert seen is not None and seen.status is JobStatus.running
        with Session(engine) as runner:  # the runner records the end
            done = runner.get(AwardJob, job_id)
            assert done is not None
            done.status = JobStatus.succeeded
            runner.add(done)
            runner.commit()
        bureau = Principal(role=Role.bureau, actor_id=None, token_id=0, token_name="desk")
        award_service.fail_left_behind(reader, seen, actor=bureau, now=clock_now())
        reader.commit()
    with Session(engine) as session:
        job = session.get(AwardJob, job_id)
        assert job is not None and job.status is JobStatus.succeeded


def clock_now() -> datetime:
    return datetime(2026, 11, 2, tzinfo=UTC)
