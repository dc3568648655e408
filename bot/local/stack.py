"""Starts the processes behind the bot on one machine: Redis, the action server and the Rasa server.

Used by ``bot run`` and by the end-to-end tests, so both exercise the same commands. Each process logs to
``var/logs/<name>.log``; the stack stops them all on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.config import RedisAddress, Settings


class StackError(RuntimeError):
    """A process of the stack did not start."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Each service's arguments, built in one place: the local stack below runs them after its program (redis-server,
# python -m rasa_sdk / rasa / bot) and docker-compose.yml runs the same ones in the containers
# (tests/unit/test_compose.py checks that they agree).


def redis_args(port: int, data_dir: str, bind: str = "127.0.0.1") -> list[str]:
    """``redis-server``'s arguments: AOF on with an fsync every second, no RDB snapshots."""
    return [
        "--bind",
        bind,
        "--port",
        str(port),
        "--dir",
        data_dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
    ]


def actions_args(port: int) -> list[str]:
    """The action server's arguments (after ``python -m rasa_sdk``, or ``start`` in the rasa-sdk image)."""
    return ["--actions", "actions", "--port", str(port)]


def rasa_args(token: str, model: str, port: int, root: str, interface: str = "127.0.0.1") -> list[str]:
    """``rasa``'s arguments: the HTTP API behind ``token``, endpoints and credentials from the project ``root``."""
    return [
        "run",
        "--enable-api",
        "--auth-token",
        token,
        "--interface",
        interface,
        "--port",
        str(port),
        "--model",
        model,
        "--endpoints",
        str(Path(root) / "endpoints.yml"),
        "--credentials",
        str(Path(root) / "credentials.yml"),
    ]


def gateway_args(port: int, host: str = "127.0.0.1") -> list[str]:
    """The gateway's arguments (after ``python -m bot``)."""
    return ["serve", "--host", host, "--port", str(port)]


@dataclass
class Stack:
    """The running processes and the addresses they serve."""

    settings: Settings
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis_url: str = ""

    @property
    def log_dir(self) -> Path:
        """Folder of the processes' logs."""
        return self.settings.var_dir / "logs"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.settings.project_root,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )

    def _wait(self, name: str, ready: str, timeout: float) -> None:
        """Poll ``ready`` (a URL) until it answers 200, failing fast if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise StackError(f"{name} exited with code {process.returncode}; see {self.log_dir / name}.log")
            try:
                if httpx.get(ready, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StackError(f"{name} not ready after {timeout:.0f} s; see {self.log_dir / name}.log")

    def start_redis(self) -> str:
        """Use REDIS_URL, else start a local redis-server, else an embedded, non-durable stand-in."""
        if self.settings.redis_url:
            self.redis_url = self.settings.redis_url
            return self.redis_url
        port = free_port()
        if shutil.which("redis-server"):
            data = self.settings.var_dir / "redis"
            data.mkdir(parents=True, exist_ok=True)
            self._spawn("redis", ["redis-server", *redis_args(port, str(data))])
        else:
            print(
                "redis-server not found: using an embedded in-memory Redis; conversations are NOT durable "
                "(install redis-server or set REDIS_URL)",
                file=sys.stderr,
            )
            self._spawn("redis", [sys.executable, "-m", "bot.local.embedded_redis", "--port", str(port)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise StackError(f"redis did not start; see {self.log_dir / 'redis.log'}")
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        return self.redis_url

    def rasa_environment(self) -> dict[str, str]:
        """The variables endpoints.yml reads."""
        redis = RedisAddress.from_url(self.redis_url)
        return {
            "ACTION_SERVER_URL": self.settings.action_server_url,
            "RASA_REDIS_HOST": redis.host,
            "RASA_REDIS_PORT": str(redis.port),
            "RASA_REDIS_DB": str(redis.db),
            "RASA_REDIS_PASSWORD": redis.password,
            "RASA_TRACKER_TTL": str(self.settings.tracker_ttl_seconds),
            "SANIC_WORKERS": str(self.settings.rasa_workers),
            "RASA_TELEMETRY_ENABLED": "false",
        }

    def start_actions(self, extra_env: dict[str, str] | None = None) -> None:
        """Start the rasa-sdk action server with the actions/ package."""
        port = self.settings.action_server_port
        self._spawn(
            "actions",
            [sys.executable, "-m", "rasa_sdk", *actions_args(port)],
            env=extra_env,
        )
        self._wait("actions", f"http://127.0.0.1:{port}/health", timeout=60)

    def start_rasa(self, model: Path) -> None:
        """Start the Rasa server on loopback, with its HTTP API behind the token."""
        s = self.settings
        self._spawn(
            "rasa",
            [sys.executable, "-m", "rasa", *rasa_args(s.rasa_token, str(model), s.rasa_port, str(s.project_root))],
            env=self.rasa_environment(),
        )
        self._wait("rasa", f"{self.settings.rasa_url}/status?token={self.settings.rasa_token}", timeout=180)

    def gateway_environment(self) -> dict[str, str]:
        """The variables the gateway reads, pointing it at this stack."""
        s = self.settings
        return {
            "REDIS_URL": self.redis_url,
            "RASA_URL": s.rasa_url,
            "RASA_TOKEN": s.rasa_token,
            "GATEWAY_URL": s.gateway_url,
            "TERMINAL_CHAT": "1",  # the local stack's gateway serves the terminal chat (loopback only)
        }

    def start_gateway(self, extra_env: dict[str, str] | None = None) -> None:
        """Start the gateway (``bot serve``) in front of this stack's Rasa and Redis."""
        self._spawn(
            "gateway",
            [sys.executable, "-m", "bot", *gateway_args(self.settings.gateway_port)],
            env={**self.gateway_environment(), **(extra_env or {})},
        )
        self._wait("gateway", f"{self.settings.gateway_url}/healthz", timeout=60)

    def start(self, model: Path, actions_env: dict[str, str] | None = None, gateway: bool = False) -> None:
        """Start Redis, the action server, Rasa and optionally the gateway, in that order."""
        try:
            self.start_redis()
            self.start_actions(actions_env)
            self.start_rasa(model)
            if gateway:
                self.start_gateway()
        except BaseException:
            self.stop()
            raise

    def kill(self, name: str) -> None:
        """Send SIGKILL to a process and to what it started (Rasa's Sanic workers): each leads its own session."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        """Stop every process, newest first."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(name)
        self.processes.clear()
