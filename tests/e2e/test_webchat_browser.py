"""The chat widget in a real headless Chromium (Debian's), against the gateway and the real stack."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

pytestmark = pytest.mark.stack

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a sandboxed machine with no network but loopback (no background traffic, no GPU, root user).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (apt-get install chromium; make test does it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        await browser.close()


LABELS = {"fr-FR": ("Discuter", "Votre message…"), "en-GB": ("Chat", "Your message…")}


class ChatPage:
    """The demo page with the widget open, as a customer in ``locale`` sees it."""

    def __init__(self, page: Page, locale: str) -> None:
        self.page = page
        self.open_label, self.box_label = LABELS[locale]

    @classmethod
    async def open(cls, browser: Browser, gateway: str, locale: str) -> ChatPage:
        context = await browser.new_context(locale=locale)
        chat = cls(await context.new_page(), locale)
        await chat.page.goto(f"{gateway}/chat")
        await chat.show()
        return chat

    async def show(self) -> None:
        await self.page.get_by_role("button", name=self.open_label).click()

    async def say(self, text: str) -> None:
        box = self.page.get_by_label(self.box_label)
        await box.fill(text)
        await box.press("Enter")

    async def expect_bot(self, text: str) -> None:
        await expect(self.page.locator(".pc-bot").last).to_contain_text(text, timeout=30_000)

    async def close(self) -> None:
        await self.page.context.close()


async def test_a_french_customer_chats_and_presses_a_button(browser: Browser, gateway: str, tmp_path: Path) -> None:
    chat = await ChatPage.open(browser, gateway, "fr-FR")
    await chat.say("bonjour")
    await chat.expect_bot("Bonjour et bienvenue")
    await chat.say("je veux annuler la commande 77120")
    await chat.page.get_by_role("button", name="Non, la garder").click(timeout=30_000)
    await chat.expect_bot("suit son cours")
    await chat.page.screenshot(path=str(tmp_path / "webchat-fr.png"))
    # A reload resumes the same session: the conversation continues where it was.
    await chat.page.reload()
    await chat.show()
    await chat.say("statut de la commande")
    await chat.expect_bot("77120")
    await chat.close()


async def test_an_english_customer_gets_english_answers(browser: Browser, gateway: str) -> None:
    chat = await ChatPage.open(browser, gateway, "en-GB")
    await chat.say("hello, where is my order 48213?")
    await chat.expect_bot("shipped on")
    await chat.close()


async def test_customer_text_is_shown_as_text_not_html(browser: Browser, gateway: str) -> None:
    chat = await ChatPage.open(browser, gateway, "en-GB")
    await chat.say('<img src=x onerror="document.title=1">hi')
    await expect(chat.page.locator(".pc-user").last).to_have_text('<img src=x onerror="document.title=1">hi')
    assert await chat.page.title() != "1"
    await chat.close()
