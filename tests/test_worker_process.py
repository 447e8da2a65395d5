"""`python -m worker` as a process: start-up and signals, on whichever backend the suite runs."""

import signal
import subprocess
import time

from tests.pipeline import WorkerProcess, wait_until


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
        exit_code = worker.process.wait(5)
    except subprocess.TimeoutExpired:
        exit_code = None
    finally:
        worker.close()
    assert exit_code == 0, worker.log()
    assert time.monotonic() - signalled < 5
    assert "worker stopped during start-up" in worker.log()
