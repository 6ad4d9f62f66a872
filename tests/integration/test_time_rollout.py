"""Issue 5, rollout pacing (``jobExecutionsRolloutConfig``), end to end with boto3.

Things beyond the current allowance are invisible to devices (nothing
pending, no notification) and have no execution yet; each minute of
``advance_time`` lets the next batch out.  ``maximumPerMinute`` is a constant
rate; ``exponentialRate`` starts at ``baseRatePerMinute`` and is multiplied by
``incrementFactor`` each time ``rateIncreaseCriteria`` is met (capped by
``maximumPerMinute``).
"""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from botocore.exceptions import ClientError

DOCUMENT = '{"operation": "update"}'


def make_things(iot: Any, n: int, prefix: str = "dev") -> List[str]:
    return [iot.create_thing(thingName=f"{prefix}{i}")["thingArn"] for i in range(n)]


def names(n: int, prefix: str = "dev") -> List[str]:
    return [f"{prefix}{i}" for i in range(n)]


def create_job(iot: Any, job_id: str, targets: List[str], **config: Any) -> None:
    iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT, **config)


def job(iot: Any, job_id: str = "j") -> Dict[str, Any]:
    return iot.describe_job(jobId=job_id)["job"]


def seeing(jobs_data: Any, things: List[str]) -> List[str]:
    """The things whose device sees the job pending (GetPendingJobExecutions)."""
    out = []
    for thing in things:
        pending = jobs_data.get_pending_job_executions(thingName=thing)
        if pending["queuedJobs"] or pending["inProgressJobs"]:
            out.append(thing)
    return out


def visible_counts(mock: Any, jobs_data: Any, things: List[str], minutes: int) -> List[int]:
    """How many devices see the job now and after each of ``minutes`` more minutes."""
    out = [len(seeing(jobs_data, things))]
    for _ in range(minutes):
        mock.advance_time(minutes=1)
        out.append(len(seeing(jobs_data, things)))
    return out


def released_counts(mock: Any, iot: Any, minutes: int, job_id: str = "j") -> List[int]:
    """How many things have an execution of the job (were notified), now and after
    each of ``minutes`` more minutes; unlike :func:`seeing`, finished ones count."""

    def released() -> int:
        return len(iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"])

    out = [released()]
    for _ in range(minutes):
        mock.advance_time(minutes=1)
        out.append(released())
    return out


def rollout(maximum: Any = None, **exponential: Any) -> Dict[str, Any]:
    config: Dict[str, Any] = {}
    if maximum is not None:
        config["maximumPerMinute"] = maximum
    if exponential:
        config["exponentialRate"] = exponential
    return {"jobExecutionsRolloutConfig": config}


# --- maximumPerMinute ----------------------------------------------------------------------------
def test_maximum_per_minute_paces_how_many_devices_see_the_job(mock, iot, jobs_data):
    things = names(5)
    create_job(iot, "j", make_things(iot, 5), **rollout(2))
    assert visible_counts(mock, jobs_data, things, minutes=3) == [2, 4, 5, 5]


def test_nothing_moves_until_a_full_minute_has_passed(mock, iot, jobs_data):
    things = names(3)
    create_job(iot, "j", make_things(iot, 3), **rollout(1))
    mock.advance_time(seconds=50)
    assert len(seeing(jobs_data, things)) == 1
    mock.advance_time(seconds=10)
    assert len(seeing(jobs_data, things)) == 2


def test_a_long_jump_releases_every_wave_that_fell_due(mock, iot, jobs_data):
    things = names(7)
    create_job(iot, "j", make_things(iot, 7), **rollout(2))
    mock.advance_time(minutes=10)
    assert len(seeing(jobs_data, things)) == 7
    assert job(iot)["jobProcessDetails"]["numberOfQueuedThings"] == 7


def test_waiting_things_have_no_execution_anywhere(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 3), **rollout(1))
    [released] = seeing(jobs_data, names(3))
    waiting = [t for t in names(3) if t != released]
    d = job(iot)["jobProcessDetails"]
    assert d["numberOfQueuedThings"] == 1
    summaries = iot.list_job_executions_for_job(jobId="j")["executionSummaries"]
    assert [s["thingArn"].rsplit("/", 1)[1] for s in summaries] == [released]
    for thing in waiting:
        assert iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"] == []
        with pytest.raises(ClientError) as excinfo:
            iot.describe_job_execution(jobId="j", thingName=thing)
        assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as excinfo:
            jobs_data.describe_job_execution(jobId="j", thingName=thing)
        assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert "execution" not in jobs_data.start_next_pending_job_execution(thingName=thing)
    # StartNext on a waiting thing did not start anything behind the rollout's back.
    mock.advance_time(minutes=2)
    for thing in waiting:
        assert iot.describe_job_execution(jobId="j", thingName=thing)["execution"]["status"] == "QUEUED"


def test_devices_are_notified_only_when_released(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 2), **rollout(1))
    [first] = seeing(jobs_data, names(2))
    [second] = [t for t in names(2) if t != first]
    assert {n.topic for n in mock.notifications(first)} == {
        f"$aws/things/{first}/jobs/notify",
        f"$aws/things/{first}/jobs/notify-next",
    }
    assert mock.notifications(second) == []
    mock.advance_time(minutes=1)
    messages = mock.notifications(second)
    assert {n.topic for n in messages} == {
        f"$aws/things/{second}/jobs/notify",
        f"$aws/things/{second}/jobs/notify-next",
    }
    nxt = [n for n in messages if n.topic.endswith("notify-next")][0]
    assert nxt.payload["execution"]["jobId"] == "j"
    assert nxt.payload["execution"]["status"] == "QUEUED"


def test_processing_targets_are_reported_while_rolling_out(mock, iot, jobs_data):
    arns = make_things(iot, 3)
    create_job(iot, "j", arns, **rollout(2))
    assert job(iot)["jobProcessDetails"]["processingTargets"] == arns
    mock.advance_time(minutes=1)
    assert "processingTargets" not in job(iot)["jobProcessDetails"]


def test_rollout_to_a_thing_group(mock, iot, jobs_data):
    make_things(iot, 5)
    group_arn = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    for thing in names(5):
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=thing)
    create_job(iot, "j", [group_arn], **rollout(3))
    assert job(iot)["jobProcessDetails"]["processingTargets"] == [group_arn]
    assert visible_counts(mock, jobs_data, names(5), minutes=1) == [3, 5]


def test_job_completes_only_after_every_thing_was_released_and_finished(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 2), **rollout(1))
    [first] = seeing(jobs_data, names(2))
    jobs_data.start_next_pending_job_execution(thingName=first)
    jobs_data.update_job_execution(thingName=first, jobId="j", status="SUCCEEDED")
    assert job(iot)["status"] == "IN_PROGRESS"  # one thing still waits for its wave
    mock.advance_time(minutes=1)
    [second] = [t for t in seeing(jobs_data, names(2)) if t != first]
    jobs_data.start_next_pending_job_execution(thingName=second)
    jobs_data.update_job_execution(thingName=second, jobId="j", status="SUCCEEDED")
    assert job(iot)["status"] == "COMPLETED"


def test_canceling_a_job_stops_its_rollout(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 4), **rollout(1))
    iot.cancel_job(jobId="j")
    mock.advance_time(minutes=5)
    assert seeing(jobs_data, names(4)) == []
    d = job(iot)["jobProcessDetails"]
    assert (d["numberOfCanceledThings"], d["numberOfQueuedThings"]) == (1, 0)
    assert "processingTargets" not in d
    # Only the thing released at creation was ever told about the job.
    assert sum(1 for t in names(4) if mock.notifications(t)) == 1


def test_update_job_changes_the_rate_of_the_remaining_waves(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 8), **rollout(1))
    iot.update_job(jobId="j", **rollout(3))
    assert job(iot)["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 3}
    assert visible_counts(mock, jobs_data, names(8), minutes=3) == [1, 4, 7, 8]


# --- exponentialRate ------------------------------------------------------------------------------------
def test_exponential_rate_by_notified_things(mock, iot, jobs_data):
    create_job(
        iot,
        "j",
        make_things(iot, 10),
        **rollout(baseRatePerMinute=1, incrementFactor=2.0, rateIncreaseCriteria={"numberOfNotifiedThings": 2}),
    )
    # 1 a minute until 2 things were notified, then 2, 4, 8 ... a minute.
    assert visible_counts(mock, jobs_data, names(10), minutes=4) == [1, 2, 4, 8, 10]


def test_exponential_rate_by_succeeded_things_waits_for_successes(mock, iot, jobs_data):
    create_job(
        iot,
        "j",
        make_things(iot, 20),
        **rollout(baseRatePerMinute=1, incrementFactor=3.0, rateIncreaseCriteria={"numberOfSucceededThings": 1}),
    )

    def succeed_one() -> None:
        thing = seeing(jobs_data, names(20))[0]
        jobs_data.start_next_pending_job_execution(thingName=thing)
        jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")

    # Nobody succeeds: the rate stays at its base.
    assert released_counts(mock, iot, minutes=2) == [1, 2, 3]
    # One success: the next wave is three times as big, and stays so.
    succeed_one()
    assert released_counts(mock, iot, minutes=2)[1:] == [6, 9]
    # Another success (counted from the last increase): three times again.
    succeed_one()
    assert released_counts(mock, iot, minutes=1)[1:] == [18]


def test_maximum_per_minute_caps_the_exponential_rate(mock, iot, jobs_data):
    create_job(
        iot,
        "j",
        make_things(iot, 12),
        **rollout(3, baseRatePerMinute=2, incrementFactor=5.0, rateIncreaseCriteria={"numberOfNotifiedThings": 1}),
    )
    assert visible_counts(mock, jobs_data, names(12), minutes=3) == [2, 5, 8, 11]


def test_both_rate_increase_criteria_are_refused_and_create_nothing(iot):
    arns = make_things(iot, 2)
    with pytest.raises(ClientError) as excinfo:
        create_job(
            iot,
            "j",
            arns,
            **rollout(
                baseRatePerMinute=1,
                incrementFactor=2.0,
                rateIncreaseCriteria={"numberOfNotifiedThings": 1, "numberOfSucceededThings": 1},
            ),
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert iot.list_jobs()["jobs"] == []
    assert iot.list_job_executions_for_thing(thingName="dev0")["executionSummaries"] == []


def test_update_job_with_both_criteria_is_refused_and_changes_nothing(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 3), **rollout(1))
    with pytest.raises(ClientError) as excinfo:
        iot.update_job(
            jobId="j",
            description="changed",
            **rollout(
                baseRatePerMinute=5,
                incrementFactor=2.0,
                rateIncreaseCriteria={"numberOfNotifiedThings": 1, "numberOfSucceededThings": 1},
            ),
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    described = job(iot)
    assert described["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 1}
    assert "description" not in described
    assert visible_counts(mock, jobs_data, names(3), minutes=1) == [1, 2]


@pytest.mark.parametrize(
    "config",
    [
        {"maximumPerMinute": 0},
        {"maximumPerMinute": 1001},
        {
            "exponentialRate": {
                "baseRatePerMinute": 0,
                "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 1},
            }
        },
        {
            "exponentialRate": {
                "baseRatePerMinute": 1001,
                "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 1},
            }
        },
        {
            "exponentialRate": {
                "baseRatePerMinute": 1,
                "incrementFactor": 1.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 1},
            }
        },
        {
            "exponentialRate": {
                "baseRatePerMinute": 1,
                "incrementFactor": 5.5,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 1},
            }
        },
        {"exponentialRate": {"baseRatePerMinute": 1, "incrementFactor": 2.0, "rateIncreaseCriteria": {}}},
        {
            "exponentialRate": {
                "baseRatePerMinute": 1,
                "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfSucceededThings": 0},
            }
        },
    ],
    ids=[
        "maximum-zero",
        "maximum-over-1000",
        "base-zero",
        "base-over-1000",
        "factor-below-1.1",
        "factor-over-5",
        "no-criterion",
        "criterion-zero",
    ],
)
def test_invalid_rollout_configs_are_refused(make_client, config):
    iot = make_client("iot", validate=False)
    arns = make_things(iot, 1)
    with pytest.raises(ClientError) as excinfo:
        create_job(iot, "j", arns, jobExecutionsRolloutConfig=config)
    assert excinfo.value.response["Error"]["Code"] == "InvalidRequestException"
    assert iot.list_jobs()["jobs"] == []


def test_rollout_config_is_described_as_given(iot):
    config = {
        "maximumPerMinute": 50,
        "exponentialRate": {
            "baseRatePerMinute": 5,
            "incrementFactor": 1.5,
            "rateIncreaseCriteria": {"numberOfSucceededThings": 10},
        },
    }
    create_job(iot, "j", make_things(iot, 1), jobExecutionsRolloutConfig=config)
    assert job(iot)["jobExecutionsRolloutConfig"] == config


def test_waves_released_during_a_long_jump_are_notified_at_their_own_minute(mock, iot, jobs_data):
    create_job(iot, "j", make_things(iot, 3), **rollout(1))
    created = mock.now()
    mock.advance_time(minutes=30)
    for wave, thing in enumerate(names(3)):
        [execution] = [
            s["jobExecutionSummary"] for s in iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"]
        ]
        assert abs(execution["queuedAt"].timestamp() - (created + 60 * wave)) <= 2
        messages = mock.notifications(thing)
        assert messages, thing
        for message in messages:
            assert abs(message.timestamp - (created + 60 * wave)) <= 2, (thing, message.topic)
            assert abs(message.payload["timestamp"] - (created + 60 * wave)) <= 2
