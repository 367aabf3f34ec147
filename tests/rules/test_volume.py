"""Session hygiene and threads: durable-rules fails after 1,024 sessions unless each one is deleted."""

from __future__ import annotations

import random
import sys
import threading

import pytest

from rules import bundled, decide
from tests.rules.incidents import random_incident


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.slow
def test_100000_decisions_in_one_process_without_error_or_memory_growth() -> None:
    rng = random.Random(100_000)
    samples = [random_incident(rng) for _ in range(1000)]
    overlay = [bundled("city-60-30")]
    expected = {i: decide(samples[i]).to_dict() for i in range(0, 1000, 97)}
    for i in range(5000):  # warm up allocator pools and caches before the first reading
        decide(samples[i % 1000], overlays=overlay if i % 2 else ())
    before = rss_kib()
    for i in range(100_000):
        decision = decide(samples[i % 1000], overlays=overlay if i % 2 else ())
        if i % 1000 in expected and i % 2 == 0:
            assert decision.to_dict() == expected[i % 1000]
    growth = rss_kib() - before
    assert growth < 5 * 1024, f"RSS grew by {growth} KiB over 100,000 decisions"


def test_eight_threads_get_their_own_decisions() -> None:
    rng = random.Random(8)
    overlay = [bundled("city-60-30")]
    work = [[random_incident(rng) for _ in range(150)] for _ in range(8)]
    expected = [
        [decide(facts, overlays=overlay if t % 2 else ()).to_dict() for facts in batch] for t, batch in enumerate(work)
    ]
    assert len({str(e) for batch in expected for e in batch}) > 50  # the threads really ask different questions
    start = threading.Barrier(8)
    failures: list[str] = []

    def run(t: int) -> None:
        try:
            start.wait()
            for round_ in range(3):
                for i, facts in enumerate(work[t]):
                    got = decide(facts, overlays=overlay if t % 2 else ()).to_dict()
                    if got != expected[t][i]:
                        failures.append(f"thread {t} round {round_} incident {i}: {got} != {expected[t][i]}")
        except Exception as exc:  # surfaced below; a thread's exception would otherwise vanish
            failures.append(f"thread {t}: {exc!r}")

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so interleavings really happen
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
