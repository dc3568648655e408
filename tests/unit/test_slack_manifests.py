"""The Slack app manifests a workspace admin pastes must match what the code listens to."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.handoff.slack_app import COMMAND

HANDOFF = Path(__file__).parents[2] / "bot" / "handoff"


def manifest(name: str) -> dict:
    return yaml.safe_load((HANDOFF / name).read_text())


@pytest.mark.parametrize("name", ["slack-app-manifest.yml", "slack-app-manifest.http.yml"])
def test_both_manifests_ask_for_what_the_desk_uses(name: str) -> None:
    app = manifest(name)
    assert [c["command"] for c in app["features"]["slash_commands"]] == [COMMAND]
    scopes = {
        "chat:write",
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
        "commands",
        "files:write",
    }
    assert set(app["oauth_config"]["scopes"]["bot"]) == scopes
    assert set(app["settings"]["event_subscriptions"]["bot_events"]) == {"message.channels", "message.groups"}
    assert app["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_manifest_needs_no_public_url() -> None:
    app = manifest("slack-app-manifest.yml")
    assert app["settings"]["socket_mode_enabled"] is True
    assert "YOUR-GATEWAY" not in (HANDOFF / "slack-app-manifest.yml").read_text().split("display_information")[1]


def test_http_manifest_sends_everything_to_the_signed_endpoint() -> None:
    app = manifest("slack-app-manifest.http.yml")
    assert app["settings"]["socket_mode_enabled"] is False
    urls = [
        app["features"]["slash_commands"][0]["url"],
        app["settings"]["event_subscriptions"]["request_url"],
        app["settings"]["interactivity"]["request_url"],
    ]
    assert urls == ["https://YOUR-GATEWAY/slack/events"] * 3
