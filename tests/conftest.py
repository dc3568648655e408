"""Session fixtures: the trained model and the real stack (redis-server, action server, Rasa), started once."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.config import Settings
from bot.learn.model import TrainingInputs, train
from bot.local.stack import Stack, StackError, free_port
from bot.rasa_client import RasaClient
from tests.paths import ROOT

if TYPE_CHECKING:
    from tests.support.gateway_harness import Platforms


@pytest.fixture(scope="session")
def model() -> Path:
    """The model of the current inputs (trained once, then taken from the cache)."""
    return train(TrainingInputs.of_project(ROOT), ROOT / "models")


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the test stack: free ports, a fresh token and a scratch folder."""
    return Settings(
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_token=secrets.token_hex(16),
        action_server_url=f"http://127.0.0.1:{free_port()}/webhook",
        gateway_url=f"http://127.0.0.1:{free_port()}",
        var_dir=tmp_path_factory.mktemp("var"),
    )


@pytest.fixture(scope="session")
def stack(model: Path, stack_settings: Settings) -> Iterator[Stack]:
    """A real redis-server, action server and Rasa server for the whole session."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (apt-get install redis-server; make test does it)")
    running = Stack(stack_settings)
    try:
        running.start(model)
    except StackError as error:
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in running.log_dir.glob("*.log")
        )
        pytest.fail(f"{error}\n{logs}")
    yield running
    running.stop()


@pytest.fixture(scope="session")
async def rasa(stack: Stack) -> AsyncIterator[RasaClient]:
    """A client of the test stack's Rasa server."""
    client = RasaClient(stack.settings.rasa_url, stack.settings.rasa_token)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def platforms() -> Iterator[Platforms]:
    """Local fake Telegram Bot API, Graph API and Slack Web API servers."""
    from bot.local.threaded_server import serve_in_thread
    from tests.support.fakes.graph_api import FakeGraph
    from tests.support.fakes.slack_api import FakeSlack
    from tests.support.fakes.telegram_api import FakeTelegram
    from tests.support.gateway_harness import Platforms

    telegram, graph, slack = FakeTelegram(), FakeGraph(), FakeSlack()
    with (
        serve_in_thread(telegram.app()) as telegram_url,
        serve_in_thread(graph.app()) as graph_url,
        serve_in_thread(slack.app(), websockets=True) as slack_url,
    ):
        yield Platforms(telegram, telegram_url, graph, graph_url, slack, slack_url)


@pytest.fixture(scope="session")
def gateway(stack: Stack, platforms: Platforms) -> Iterator[str]:
    """A gateway process in front of the test stack, talking to the fake platforms; yields its URL."""
    process = platforms.new_gateway(stack, stack.log_dir)
    process.start()
    yield process.url
    process.stop()
