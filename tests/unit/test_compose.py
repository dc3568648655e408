"""docker-compose.yml: valid for Compose, the same commands as `bot run`, and safe to deploy (no Docker engine)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.local.stack import Stack, actions_args, gateway_args, rasa_args, redis_args
from tests.paths import ROOT

COMPOSE = ROOT / "docker-compose.yml"
TOKEN = "${RASA_TOKEN:?set RASA_TOKEN in .env}"
MODEL = "/app/models/passerelle.tar.gz"


def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def env_example_names() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))


def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        hint = "docker-compose is not installed (apt-get install --no-install-recommends docker-compose, or make test)"
        if os.environ.get("CI"):
            pytest.fail(hint)
        pytest.skip(hint)
    return found


def compose_config(folder: Path, env: str) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` on a copy of the file, with ``env`` as its .env (env_file and ${VAR})."""
    shutil.copy(COMPOSE, folder / "docker-compose.yml")
    (folder / ".env").write_text(env)
    clean = {k: v for k, v in os.environ.items() if k not in env_example_names()}
    return subprocess.run(
        [docker_compose(), "config"], cwd=folder, env=clean, capture_output=True, text=True, timeout=120
    )


def test_compose_accepts_the_file_with_a_copy_of_env_example(tmp_path: Path) -> None:
    result = compose_config(tmp_path, (ROOT / ".env.example").read_text())
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert set(resolved) == {"redis", "actions", "rasa", "gateway"}
    assert "change-me-local-only" in resolved["rasa"]["command"]  # the token comes from .env
    assert resolved["gateway"]["environment"]["LOG_FORMAT"] == "json"  # empty in .env.example: JSON logs


def test_compose_refuses_to_start_rasa_without_a_token(tmp_path: Path) -> None:
    env = re.sub(r"^RASA_TOKEN=.*$", "RASA_TOKEN=", (ROOT / ".env.example").read_text(), flags=re.M)
    result = compose_config(tmp_path, env)
    assert result.returncode != 0
    assert "set RASA_TOKEN in .env" in result.stderr


def test_each_service_runs_the_command_of_the_local_run() -> None:
    found = services()
    assert found["redis"]["command"] == ["redis-server", *redis_args(6379, "/data", bind="0.0.0.0")]
    assert found["actions"]["command"] == ["start", *actions_args(5055)]  # the rasa-sdk image: python -m rasa_sdk
    assert found["rasa"]["command"] == rasa_args(TOKEN, MODEL, 5005, "/app", interface="0.0.0.0")  # entrypoint: rasa
    assert found["gateway"]["command"] == ["python", "-m", "bot", *gateway_args(8080, host="0.0.0.0")]


def test_the_local_run_builds_its_commands_with_the_same_functions(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    stack = Stack(settings, redis_url="redis://127.0.0.1:6379/0")
    spawned: dict[str, list[str]] = {}
    stack._spawn = lambda name, argv, env=None: spawned.__setitem__(name, argv)  # type: ignore[method-assign]
    stack._wait = lambda name, ready, timeout: None  # type: ignore[method-assign]
    stack.start_actions()
    stack.start_rasa(tmp_path / "model.tar.gz")
    stack.start_gateway()
    python = [sys.executable, "-m"]
    assert spawned["actions"] == [*python, "rasa_sdk", *actions_args(settings.action_server_port)]
    root = str(settings.project_root)
    model = str(tmp_path / "model.tar.gz")
    assert spawned["rasa"] == [*python, "rasa", *rasa_args(settings.rasa_token, model, settings.rasa_port, root)]
    assert spawned["gateway"] == [*python, "bot", *gateway_args(settings.gateway_port)]


def test_the_services_find_each_other_on_the_ports_they_listen_on() -> None:
    found = services()
    gateway, rasa = found["gateway"]["environment"], found["rasa"]["environment"]
    assert gateway["REDIS_URL"] == "redis://redis:6379/0" and rasa["RASA_REDIS_HOST"] == "redis"
    assert gateway["RASA_URL"] == "http://rasa:5005"
    assert gateway["ACTION_SERVER_URL"] == rasa["ACTION_SERVER_URL"] == "http://actions:5055/webhook"


def test_only_the_gateway_is_published() -> None:
    published = {name: spec["ports"] for name, spec in services().items() if "ports" in spec}
    assert published == {"gateway": ["8080:8080"]}  # never Rasa's HTTP API (CVE-2024-49375)


def test_redis_keeps_an_append_only_file_on_a_named_volume() -> None:
    redis = services()["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    data = command[command.index("--dir") + 1]
    volume = next(v for v in redis["volumes"] if v.split(":")[1] == data)
    assert volume.split(":")[0] in yaml.safe_load(COMPOSE.read_text())["volumes"]


def test_every_service_has_a_healthcheck_and_restarts() -> None:
    for name, spec in services().items():
        assert spec["restart"] == "unless-stopped", name
        assert spec["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_services_read_one_env_file() -> None:
    files = {name: spec.get("env_file") for name, spec in services().items() if name != "redis"}
    assert set(files.values()) == {".env"}


def test_every_variable_the_file_uses_is_in_env_example() -> None:
    # ${VAR}, ${VAR:-default}, ${VAR:?message}; $${VAR} is the container's own environment, not Compose's.
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    assert used and used <= env_example_names()


def test_the_rasa_image_has_the_model_and_the_spacy_pipeline_config_yml_loads() -> None:
    dockerfile = (ROOT / "docker" / "rasa.Dockerfile").read_text()
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    spacy = next(c["model"] for c in config["pipeline"] if c["name"] == "SpacyNLP")
    assert re.search(rf"^COPY .*\b{re.escape(spacy)} /app/{re.escape(spacy)}$", dockerfile, re.M)
    assert re.search(rf"^COPY .* {re.escape(MODEL)}$", dockerfile, re.M)
    ignored = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert ".env" in ignored and ".venv" in ignored and "build" not in ignored


def test_the_rasa_image_has_the_projects_own_components() -> None:
    dockerfile = (ROOT / "docker" / "rasa.Dockerfile").read_text()
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    custom = [c["name"] for c in config["pipeline"] if "." in c["name"]]
    assert custom, "config.yml names no component of its own: drop this test and the COPY lines"
    copied = [line.split()[2:-1] for line in dockerfile.splitlines() if line.startswith("COPY --chown")]
    sources = {source for line in copied for source in line}
    for name in custom:
        for module in project_modules(name.rsplit(".", 1)[0]):
            assert module in sources or any(module.startswith(s) and s.endswith("/") for s in sources), module


def project_modules(module: str) -> set[str]:
    """The project's files a module needs: itself, its packages' __init__.py and what it imports, transitively."""
    needed: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = name.replace(".", "/") + ".py"
        if path in needed or not (ROOT / path).exists():
            continue
        needed.add(path)
        parts = name.split(".")
        needed.update("/".join(parts[:i]) + "/__init__.py" for i in range(1, len(parts)))
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot"):
                todo.append(node.module)
            elif isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names if alias.name.startswith("bot"))
    return needed


def test_the_gateway_image_installs_only_pinned_packages() -> None:
    lock = {
        re.split(r"[=\[]", line)[0].lower().replace("_", "-")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    }
    wanted = [
        re.split(r"[\[=<>]", line.strip())[0].lower().replace("_", "-")
        for line in (ROOT / "docker" / "gateway-requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert wanted and set(wanted) <= lock
    assert "rasa" not in wanted and "tensorflow" not in wanted
