"""Retry and abort decisions (backend/outcomes.py) on plain domain objects."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from mock_iotjobs.backend.jobs import outcomes
from mock_iotjobs.backend.jobs.model import (
    CANCELED,
    FAILED,
    REJECTED,
    REMOVED,
    SUCCEEDED,
    TIMED_OUT,
    Job,
    JobExecution,
)


def make_job(**config: Any) -> Job:
    return Job(
        job_id="j",
        arn="arn:aws:iot:us-east-1:123456789012:job/j",
        seq=1,
        created_at=0.0,
        target_selection="SNAPSHOT",
        targets=[],
        config=config,
    )


def retries(*criteria: Any) -> Dict[str, Any]:
    return {"criteriaList": [{"failureType": kind, "numberOfRetries": n} for kind, n in criteria]}


def run_history(job: Job, statuses: List[str], thing: str = "t") -> JobExecution:
    """Record executions of ``job`` on ``thing`` ending in ``statuses``; returns the latest."""
    history = job.history.setdefault(thing, [])
    for status in statuses:
        execution = JobExecution(
            job=job,
            thing_name=thing,
            thing_arn=f"arn:{thing}",
            execution_number=len(history) + 1,
            seq=len(history) + 1,
            queued_at=0.0,
            status=status,
            history_key=thing,
        )
        history.append(execution)
    job.latest[thing] = history[-1]
    return history[-1]


# --- retries -----------------------------------------------------------------------------------
def test_no_retry_config_allows_no_retry():
    job = make_job()
    assert outcomes.retries_allowed(job, FAILED) == 0
    assert not outcomes.should_retry(job, run_history(job, [FAILED]))


@pytest.mark.parametrize(
    "criteria, failed, timed_out",
    [
        ((("FAILED", 3),), 3, 0),
        ((("TIMED_OUT", 2),), 0, 2),
        ((("ALL", 4),), 4, 4),
        ((("FAILED", 1), ("ALL", 5)), 1, 5),
        ((("FAILED", 1), ("TIMED_OUT", 2)), 1, 2),
    ],
)
def test_retries_allowed_per_failure_type(criteria, failed, timed_out):
    job = make_job(jobExecutionsRetryConfig=retries(*criteria))
    assert outcomes.retries_allowed(job, FAILED) == failed
    assert outcomes.retries_allowed(job, TIMED_OUT) == timed_out
    for never in (REJECTED, CANCELED, REMOVED, SUCCEEDED):
        assert outcomes.retries_allowed(job, never) == 0


def test_should_retry_counts_earlier_failures_of_the_same_type():
    job = make_job(jobExecutionsRetryConfig=retries(("FAILED", 2)))
    assert outcomes.should_retry(job, run_history(job, [FAILED], "a"))
    assert outcomes.should_retry(job, run_history(job, [FAILED, FAILED], "b"))
    assert not outcomes.should_retry(job, run_history(job, [FAILED, FAILED, FAILED], "c"))


def test_separate_allowances_do_not_share_their_counts():
    job = make_job(jobExecutionsRetryConfig=retries(("FAILED", 1), ("TIMED_OUT", 1)))
    assert outcomes.should_retry(job, run_history(job, [FAILED, TIMED_OUT], "a"))
    assert not outcomes.should_retry(job, run_history(job, [FAILED, TIMED_OUT, FAILED], "b"))


def test_all_shares_its_allowance_between_failures_and_timeouts():
    job = make_job(jobExecutionsRetryConfig=retries(("ALL", 2)))
    assert outcomes.should_retry(job, run_history(job, [FAILED, TIMED_OUT], "a"))
    assert not outcomes.should_retry(job, run_history(job, [FAILED, TIMED_OUT, FAILED], "b"))


def test_only_the_latest_execution_of_a_running_job_is_retried():
    job = make_job(jobExecutionsRetryConfig=retries(("FAILED", 5)))
    latest = run_history(job, [FAILED, FAILED])
    older = job.history["t"][0]
    assert outcomes.should_retry(job, latest)
    assert not outcomes.should_retry(job, older)
    job.status = "CANCELED"
    assert not outcomes.should_retry(job, latest)


# --- abort -------------------------------------------------------------------------------------------
def abort(*criteria: Any) -> Dict[str, Any]:
    return {
        "criteriaList": [
            {"failureType": kind, "action": "CANCEL", "thresholdPercentage": pct, "minNumberOfExecutedThings": n}
            for kind, pct, n in criteria
        ]
    }


def with_counts(job: Job, **counts: int) -> Job:
    for status, n in counts.items():
        job.counts[status] = n
    return job


def test_no_abort_config_never_aborts():
    assert outcomes.abort_criterion_met(with_counts(make_job(), FAILED=10)) is None


def test_nothing_executed_never_aborts():
    job = with_counts(make_job(abortConfig=abort(("ALL", 0, 1))), QUEUED=3, IN_PROGRESS=2)
    assert outcomes.abort_criterion_met(job) is None


def test_threshold_and_minimum():
    config = abort(("FAILED", 50, 4))
    assert outcomes.abort_criterion_met(with_counts(make_job(abortConfig=config), FAILED=3)) is None  # 3 < 4
    met = outcomes.abort_criterion_met(with_counts(make_job(abortConfig=config), FAILED=2, SUCCEEDED=2))
    assert met is not None and met["failureType"] == "FAILED"  # 50% of 4
    below = with_counts(make_job(abortConfig=config), FAILED=2, SUCCEEDED=3)  # 40%
    assert outcomes.abort_criterion_met(below) is None


def test_only_finished_outcomes_are_executed_things():
    config = abort(("FAILED", 50, 2))
    job = with_counts(make_job(abortConfig=config), FAILED=1, QUEUED=5, IN_PROGRESS=5, CANCELED=5, REMOVED=5)
    assert outcomes.abort_criterion_met(job) is None  # one executed thing
    job.counts[TIMED_OUT] = 1
    assert outcomes.abort_criterion_met(job) is not None  # 1 failed of 2 executed


@pytest.mark.parametrize(
    "kind, counts, aborts",
    [
        ("FAILED", {FAILED: 1, REJECTED: 1, TIMED_OUT: 1, SUCCEEDED: 1}, False),
        ("REJECTED", {REJECTED: 2, SUCCEEDED: 2}, True),
        ("TIMED_OUT", {TIMED_OUT: 1, FAILED: 3}, False),
        ("ALL", {FAILED: 1, REJECTED: 1, TIMED_OUT: 1, SUCCEEDED: 1}, True),
    ],
)
def test_failure_types(kind, counts, aborts):
    job = with_counts(make_job(abortConfig=abort((kind, 50, 1))), **counts)
    assert (outcomes.abort_criterion_met(job) is not None) is aborts


def test_fractional_threshold():
    job = with_counts(make_job(abortConfig=abort(("FAILED", 33.34, 3))), FAILED=1, SUCCEEDED=2)
    assert outcomes.abort_criterion_met(job) is None  # 33.33...%
    job.counts[FAILED] = 2
    job.counts[SUCCEEDED] = 4
    assert outcomes.abort_criterion_met(job) is None
    job.counts[SUCCEEDED] = 3  # 40%
    assert outcomes.abort_criterion_met(job) is not None


def test_reason_code_fits_the_model_pattern():
    import re

    assert re.fullmatch(r"[A-Z0-9_]+", outcomes.ABORT_REASON_CODE)
    assert len(outcomes.ABORT_REASON_CODE) <= 128
