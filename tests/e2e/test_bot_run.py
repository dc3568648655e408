"""`bot run` (what `make run` starts) stops everything it started when a process manager, `kill` or a closed
terminal stops it, as it does on Ctrl-C: its services run in sessions of their own, so nothing else would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.local.stack import free_port
from tests.paths import ROOT

pytestmark = pytest.mark.stack


def children(parent: int) -> list[int]:
    """The live processes whose parent is ``parent`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_bot_run_stops_every_process_it_started(stop: signal.Signals, model: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "GATEWAY_URL": f"http://127.0.0.1:{free_port()}",
        "PASSERELLE_VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": "",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--no-chat"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert run.stderr is not None
        deadline = time.monotonic() + 240
        said: list[str] = []
        for line in run.stderr:
            said.append(line)
            if "services running" in line or time.monotonic() > deadline:
                break
        # A quiet start: what runs, where the logs are, how to stop; no library warnings or progress bars.
        assert len(said) <= 6 and not [line for line in said if "Warning" in line or "%|" in line], said
        started = children(run.pid)
        assert len(started) >= 4, f"expected Redis, actions, Rasa and the gateway, found {started}"
        started += [pid for child in started for pid in children(child)]  # Rasa's Sanic workers
        run.send_signal(stop)
        assert run.wait(timeout=60) == 0
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in started if alive(pid)], "processes left running after bot run stopped"
    finally:
        if run.poll() is None:
            run.kill()
