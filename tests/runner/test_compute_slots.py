"""max_instances of a local compute: real lock files, held by this process and by others."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from opsloop.execution.plan import ComputePlan
from opsloop.runner.compute_slots import acquire_slot

TWO = ComputePlan(name="cpu-cluster", type="local", max_instances=2)


def test_a_step_waits_when_every_instance_is_taken(tmp_path: Path) -> None:
    waits: list[str] = []
    cancel = threading.Event()
    first = acquire_slot(tmp_path, "dev", TWO, cancel, on_wait=lambda: waits.append("a"))
    second = acquire_slot(tmp_path, "dev", TWO, cancel, on_wait=lambda: waits.append("b"))
    assert first is not None and second is not None and waits == []
    cancel.set()  # the third would wait for ever: a canceled step gives up
    assert acquire_slot(tmp_path, "dev", TWO, cancel, on_wait=lambda: waits.append("c")) is None
    second.release()
    third = acquire_slot(tmp_path, "dev", TWO, threading.Event(), on_wait=lambda: None)
    assert third is not None
    first.release()
    third.release()


def test_the_waiting_step_starts_once_an_instance_is_free(tmp_path: Path) -> None:
    one = ComputePlan(name="solo", max_instances=1)
    held = acquire_slot(tmp_path, "dev", one, threading.Event(), on_wait=lambda: None)
    assert held is not None
    waiting = threading.Event()
    got: list[object] = []
    waiter = threading.Thread(
        target=lambda: got.append(
            acquire_slot(tmp_path, "dev", one, threading.Event(), on_wait=waiting.set)
        )
    )
    waiter.start()
    assert waiting.wait(30), "the second step never reported that it waits"
    assert got == []
    held.release()
    waiter.join(30)
    assert got and got[0] is not None


def test_a_slot_held_by_a_runner_that_died_is_free(tmp_path: Path) -> None:
    one = ComputePlan(name="solo", max_instances=1)
    # Another process takes the only slot and is killed while holding it.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, threading, time; from pathlib import Path;"
            "from opsloop.execution.plan import ComputePlan;"
            "from opsloop.runner.compute_slots import acquire_slot;"
            "acquire_slot(Path(sys.argv[1]), 'dev', ComputePlan(name='solo', max_instances=1),"
            " threading.Event(), on_wait=lambda: None); print('held', flush=True); time.sleep(600)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    cancel = threading.Event()
    cancel.set()
    assert acquire_slot(tmp_path, "dev", one, cancel, on_wait=lambda: None) is None
    holder.kill()
    holder.wait(30)
    assert acquire_slot(tmp_path, "dev", one, threading.Event(), on_wait=lambda: None)


def test_no_limit_without_max_instances(tmp_path: Path) -> None:
    unlimited = ComputePlan()
    slots = [
        acquire_slot(tmp_path, "dev", unlimited, threading.Event(), on_wait=lambda: None)
        for _ in range(5)
    ]
    assert all(slot is not None for slot in slots)
    assert not (tmp_path / "computes").exists()
