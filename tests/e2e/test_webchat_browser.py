"""The chat widget in a real headless Chromium (Debian's), against the gateway and the real stack."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

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
        pytest.fail("chromium is not installed (apt-get install chromium; .ci/run does it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        await browser.close()


async def test_a_french_customer_chats_and_presses_a_button(browser: Browser, gateway: str, tmp_path: Path) -> None:
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(f"{gateway}/chat")
    await page.get_by_role("button", name="Discuter").click()
    box = page.get_by_label("Votre message…")
    await box.fill("bonjour")
    await box.press("Enter")
    await expect(page.locator(".pc-bot").last).to_contain_text("Bonjour et bienvenue", timeout=30_000)
    await box.fill("je veux annuler la commande 77120")
    await box.press("Enter")
    await page.get_by_role("button", name="Non, la garder").click(timeout=30_000)
    await expect(page.locator(".pc-bot").last).to_contain_text("suit son cours", timeout=30_000)
    await page.screenshot(path=str(tmp_path / "webchat-fr.png"))
    # A reload resumes the same session: the conversation continues where it was.
    await page.reload()
    await page.get_by_role("button", name="Discuter").click()
    await page.get_by_label("Votre message…").fill("statut de la commande")
    await page.get_by_label("Votre message…").press("Enter")
    await expect(page.locator(".pc-bot").last).to_contain_text("77120", timeout=30_000)
    await context.close()


async def test_an_english_customer_gets_english_answers(browser: Browser, gateway: str) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{gateway}/chat")
    await page.get_by_role("button", name="Chat").click()
    box = page.get_by_label("Your message…")
    await box.fill("hello, where is my order 48213?")
    await box.press("Enter")
    await expect(page.locator(".pc-bot").last).to_contain_text("shipped on", timeout=30_000)
    await context.close()


async def test_customer_text_is_shown_as_text_not_html(browser: Browser, gateway: str) -> None:
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    await page.goto(f"{gateway}/chat")
    await page.get_by_role("button", name="Chat").click()
    await page.get_by_label("Your message…").fill('<img src=x onerror="document.title=1">hi')
    await page.get_by_label("Your message…").press("Enter")
    await expect(page.locator(".pc-user").last).to_have_text('<img src=x onerror="document.title=1">hi')
    assert await page.title() != "1"
    await context.close()
