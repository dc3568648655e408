"""`bot doctor` on settings alone: bad token formats are errors that say what to do."""

from __future__ import annotations

import io
from pathlib import Path

from bot.config import Settings
from bot.doctor.checks import Check
from bot.doctor.report import report
from bot.doctor.settings import check_settings

GOOD_TELEGRAM = "123456789:AAH" + "x" * 32


def by_name(settings: Settings) -> dict[str, Check]:
    return {c.name: c for c in check_settings(settings)}


def test_bad_token_formats_are_errors_with_a_fix() -> None:
    found = by_name(
        Settings(
            telegram_token="123456:short",
            slack_bot_token="xoxp-user-token",
            slack_app_token="xoxb-not-an-app-token",
            slack_support_channel="#support",
            messenger_page_token="EAApage",
        )
    )
    assert found["telegram token"].status == "error" and "@BotFather" in found["telegram token"].fix
    assert found["slack bot token"].status == "error" and "xoxb-" in found["slack bot token"].detail
    assert found["slack app token"].status == "error"
    assert found["slack channel"].status == "warning" and "Channel ID" in found["slack channel"].fix
    messenger = found["messenger settings"]
    assert messenger.status == "error" and "MESSENGER_APP_SECRET and MESSENGER_VERIFY_TOKEN" in messenger.detail


def test_webhook_mode_needs_https_and_a_secret() -> None:
    found = by_name(Settings(telegram_token=GOOD_TELEGRAM, public_url="http://bot.example.com"))
    assert found["telegram token"].status == "ok"
    assert found["telegram webhook secret"].status == "error"
    assert found["public url"].status == "error"
    assert found["rasa token"].status == "warning"  # the local default, on a public deployment


def test_a_well_configured_deployment_has_no_error() -> None:
    settings = Settings(
        redis_url="redis://redis:6379/0",
        public_url="https://bot.example.com",
        rasa_token="a-long-random-token",
        telegram_token=GOOD_TELEGRAM,
        telegram_webhook_secret="s3cret_-",
        messenger_page_token="EAApage",
        messenger_app_secret="appsecret",
        messenger_verify_token="verify",
        slack_bot_token="xoxb-1-2-3",
        slack_app_token="xapp-1-A1-2",
        slack_support_channel="C0123ABCD",
        handoff_hours="mon-fri 09:00-19:00",
    )
    assert [c for c in check_settings(settings) if c.status != "ok"] == []


def test_unreadable_business_hours_are_an_error() -> None:
    assert by_name(Settings(handoff_hours="weekdays 9-5"))["handoff hours"].status == "error"


def test_the_report_is_one_line_per_check_without_secrets_and_fails_on_an_error() -> None:
    out = io.StringIO()
    checks = [Check("rasa", "ok", "fine"), Check("slack auth", "error", "xoxb-1-2-3 refused", "copy it again")]
    assert report(checks, out, ["xoxb-1-2-3"]) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == "ok      rasa: fine"
    assert lines[1] == "error   slack auth: [redacted] refused -> copy it again"
    assert report([Check("rasa", "ok", "fine")], io.StringIO(), []) == 0


def test_doctor_reads_the_comment_policy_and_says_what_is_wrong(tmp_path: Path) -> None:
    from bot.doctor.comments import check_comment_desk

    meta = {"messenger_page_token": "EAApage", "messenger_app_secret": "s", "messenger_verify_token": "v"}
    shipped = {c.name: c for c in check_comment_desk(Settings(redis_url="", **meta))}
    assert shipped["comment policy"].status == "ok" and "no public reply (off)" in shipped["comment policy"].detail
    assert shipped["comment cards"].status == "warning"  # no Slack: no buttons
    broken = tmp_path / "policy.yml"
    broken.write_text("rules:\n  - do: shout\n", encoding="utf-8")
    found = {c.name: c for c in check_comment_desk(Settings(redis_url="", comment_policy_file=str(broken), **meta))}
    assert found["comment policy"].status == "error" and "rule 1" in found["comment policy"].detail
    typo = tmp_path / "typo.yml"
    typo.write_text("rules:\n  - when: {intents: [oder_status]}\n    do: ticket\n", encoding="utf-8")
    found = {c.name: c for c in check_comment_desk(Settings(redis_url="", comment_policy_file=str(typo), **meta))}
    assert "oder_status" in found["comment policy intents"].detail
