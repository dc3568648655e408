"""The HTML report of a mining run: self-contained (inline SVG, no external asset), every text escaped."""

from __future__ import annotations

from collections import Counter
from html import escape

from bot.learn.review import Review
from bot.learn.signals import Unhandled

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
    ".candidate{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
    ".muted{color:#666}"
)


def bar_chart(values: list[tuple[str, int]], width: int = 560, bar: int = 18) -> str:
    """A horizontal bar chart as inline SVG."""
    if not values:
        return "<p class='muted'>(nothing to plot)</p>"
    top = max(v for _, v in values) or 1
    rows = []
    for i, (label, value) in enumerate(values):
        y, length = i * (bar + 6), int((width - 200) * value / top)
        rows.append(
            f"<text x='0' y='{y + bar - 4}' font-size='12'>{escape(label)}</text>"
            f"<rect x='160' y='{y}' width='{length}' height='{bar}' fill='#23395d'/>"
            f"<text x='{165 + length}' y='{y + bar - 4}' font-size='12'>{value}</text>"
        )
    height = len(values) * (bar + 6)
    return f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'>{''.join(rows)}</svg>"


def _examples(examples: dict[str, list[str]]) -> str:
    parts = []
    for language, texts in examples.items():
        if texts:
            items = "".join(f"<li>{escape(t)}</li>" for t in texts[:10])
            more = f"<li class='muted'>… {len(texts) - 10} more</li>" if len(texts) > 10 else ""
            parts.append(f"<p><b>{escape(language)}</b></p><ul>{items}{more}</ul>")
    return "".join(parts)


def render(review: Review, unhandled: list[Unhandled]) -> str:
    """The report page."""
    reasons = Counter((u.reason, u.language) for u in unhandled)
    reason_rows = "".join(
        f"<tr><td>{escape(r)}</td><td>{escape(lang)}</td><td>{n}</td></tr>" for (r, lang), n in sorted(reasons.items())
    )
    candidates = []
    for c in review.candidates:
        response = "".join(
            f"<p><b>{escape(lang)} draft answer</b>: {escape(text) or '<i>none: write one</i>'}</p>"
            for lang, text in c.response.items()
        )
        candidates.append(
            f"<div class='candidate'><h3>{escape(c.id)} · {escape(c.name)} ({c.size} messages)</h3>"
            f"<p>keywords: {escape(', '.join(c.keywords))} · closest existing intent: {escape(c.closest_intent)} "
            f"({c.closest_similarity:.2f})</p>{_examples(c.examples)}{response}</div>"
        )
    additions = "".join(
        f"<div class='candidate'><h3>more examples for {escape(a.intent)}</h3>{_examples(a.examples)}</div>"
        for a in review.additions
    )
    sizes = bar_chart([(f"{c.id} {c.name}", c.size) for c in review.candidates[:30]])
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Passerelle: what the bot did not handle</title>"
        f"<style>{STYLE}</style><h1>What the bot did not handle</h1>"
        f"<p>Source: {escape(review.source)} · {review.conversations} conversations · {review.messages} customer "
        f"messages · {review.unhandled} unhandled. Personal data is redacted.</p>"
        f"<h2>Why</h2><table><tr><th>reason</th><th>language</th><th>messages</th></tr>{reason_rows}</table>"
        f"<h2>Candidate intents</h2>{sizes}{''.join(candidates) or '<p>None.</p>'}"
        f"<h2>New examples for existing intents</h2>{additions or '<p>None.</p>'}"
        f"<p class='muted'>Edit the review file, then run <code>bot learn apply</code>.</p></html>"
    )
