"""`python -m worker` as a process: start-up and signals, on whichever backend the suite runs."""

import signal
import subprocess
import time

import pytest

from tests.pipeline_tools import WorkerProcess, wait_until
from tests.silent_broker import SilentBroker

# Generous: on a loaded 2-core machine the worker's imports alone have taken more than 5 s.
STOPS_WITHIN = 20


def test_sigterm_during_start_up_stops_the_worker_with_exit_code_zero(app, tmp_path):
    worker = WorkerProcess(app, tmp_path / "worker.log").start()
    try:
        # The earliest moment any program can honour SIGTERM: its handler is installed. Before
        # that (the interpreter starting) the kernel's default action would kill it whatever it does.
        wait_until(
            lambda: worker.handles(signal.SIGTERM) or worker.process.poll() is not None,
            10,
            "the worker never installed a SIGTERM handler",
            interval=0.005,
        )
        assert "worker started" not in worker.log()  # still starting up: imports, create_app()
        worker.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        exit_code = worker.process.wait(STOPS_WITHIN)
    except subprocess.TimeoutExpired:
        exit_code = None
    finally:
        worker.close()
    assert exit_code == 0, worker.log()
    assert time.monotonic() - signalled < STOPS_WITHIN
    assert "worker stopped during start-up" in worker.log()


@pytest.mark.slow
@pytest.mark.parametrize("hang_up", [False, True], ids=["silent", "hangs-up"])
def test_worker_keeps_retrying_while_rabbitmq_accepts_connections_but_never_completes_the_handshake(
    app, tmp_path, hang_up
):
    # A broker that accepts TCP and then stays silent (pika's stack timeout), or drops the connection.
    with SilentBroker(hang_up=hang_up) as broker:
        url = broker.url(stack_timeout=0.5, socket_timeout=0.5)
        worker = WorkerProcess(app, tmp_path / "worker.log", {"RABBITMQ_URL": url}).start()
        try:

            def retried_thrice_or_exited():
                return worker.log().count("reconnecting in") >= 3 or worker.process.poll() is not None

            wait_until(
                retried_thrice_or_exited,
                30,
                lambda: f"the worker did not retry three times:\n{worker.log()}",
            )
            assert worker.process.poll() is None, worker.log()
            assert broker.accepted >= 3
            exit_code = worker.terminate()
        finally:
            worker.close()
    assert exit_code == 0, worker.log()
