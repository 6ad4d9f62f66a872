"""The timed queue behind ``advance_time``: due work runs in time order, stamped
with its own due time, and work it schedules runs too if already due."""

from __future__ import annotations

from typing import List, Tuple

from mock_iotjobs.backend.scheduler import Scheduler


def recorder(log: List[Tuple[str, float]], name: str):
    return lambda when: log.append((name, when))


def test_empty_scheduler_has_nothing_due():
    scheduler = Scheduler()
    assert scheduler.next_due() == float("inf")
    scheduler.run_due(1e12)  # nothing to do, no error


def test_runs_due_tasks_in_time_order_with_their_due_time():
    scheduler = Scheduler()
    log: List[Tuple[str, float]] = []
    scheduler.at(30.0, recorder(log, "c"))
    scheduler.at(10.0, recorder(log, "a"))
    scheduler.at(20.0, recorder(log, "b"))
    assert scheduler.next_due() == 10.0
    scheduler.run_due(25.0)
    assert log == [("a", 10.0), ("b", 20.0)]
    assert scheduler.next_due() == 30.0
    scheduler.run_due(30.0)  # due exactly now counts as due
    assert log[-1] == ("c", 30.0)
    assert scheduler.next_due() == float("inf")


def test_tasks_due_at_the_same_time_run_in_the_order_they_were_scheduled():
    scheduler = Scheduler()
    log: List[Tuple[str, float]] = []
    for name in "xyzw":
        scheduler.at(5.0, recorder(log, name))
    scheduler.run_due(5.0)
    assert [name for name, _ in log] == list("xyzw")


def test_work_scheduled_by_a_task_runs_in_the_same_pass_when_already_due():
    # A rollout tick schedules the next one a minute later: a two-minute jump runs both.
    scheduler = Scheduler()
    log: List[float] = []

    def tick(when: float) -> None:
        log.append(when)
        scheduler.at(when + 60, tick)

    scheduler.at(0.0, tick)
    scheduler.run_due(130.0)
    assert log == [0.0, 60.0, 120.0]
    assert scheduler.next_due() == 180.0


def test_later_task_scheduled_by_a_task_keeps_global_time_order():
    scheduler = Scheduler()
    log: List[Tuple[str, float]] = []
    scheduler.at(10.0, lambda when: scheduler.at(25.0, recorder(log, "spawned")))
    scheduler.at(20.0, recorder(log, "existing"))
    scheduler.run_due(100.0)
    assert log == [("existing", 20.0), ("spawned", 25.0)]


def test_task_not_due_is_left_alone():
    scheduler = Scheduler()
    log: List[Tuple[str, float]] = []
    scheduler.at(100.0, recorder(log, "later"))
    scheduler.run_due(99.999)
    assert log == []
    assert scheduler.next_due() == 100.0


def test_clear_forgets_everything():
    scheduler = Scheduler()
    log: List[Tuple[str, float]] = []
    scheduler.at(1.0, recorder(log, "a"))
    scheduler.clear()
    scheduler.run_due(10.0)
    assert log == []
    assert scheduler.next_due() == float("inf")
