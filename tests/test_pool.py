"""The batch's worker pool (engine/batch/pool.py): results in task order, whatever order workers finish in,
and never a wait on pipes with nothing in flight."""
import random
import signal
import time

import pytest

from warrant.batch.pool import WorkerFailed, ordered_map


def _work(task):
    number, pause, size = task
    time.sleep(pause)
    return number, "x" * size


def _fail_on_three(task):
    if task == 3:
        raise ValueError("three")
    return task


@pytest.fixture
def bounded_in_time():
    """A pool that waits for ever fails the test instead of hanging the suite."""
    def expire(*_):
        raise TimeoutError("the pool stopped making progress")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("seed", range(12))
def test_results_come_in_task_order_and_the_pool_never_stalls(seed, bounded_in_time):
    """Tasks of mixed length and result size (past a pipe's 64 KiB), one or two in flight per worker: when
    every result in flight has come back and been handed on, the next tasks are sent before the pool waits
    on a pipe (it used to wait on no pipe at all, for ever: `warrant test` hung now and then)."""
    rng = random.Random(seed)
    tasks = [(i, rng.choice([0, 0, 0.001, 0.004]), rng.choice([10, 1_000, 70_000, 300_000]))
             for i in range(rng.randint(1, 30))]
    depth = (1, 2, 4)[seed % 3]
    results = [(task[0], result[0], len(result[1])) for task, result in ordered_map(_work, tasks, 2, depth=depth)]
    assert results == [(i, i, size) for i, _, size in tasks]


def test_a_task_that_raises_stops_the_map_with_its_message(bounded_in_time):
    with pytest.raises(WorkerFailed, match="ValueError: three"):
        list(ordered_map(_fail_on_three, range(8), 2))
