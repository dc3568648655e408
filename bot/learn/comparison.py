"""Old model against new model on the held-out split: the regression gate, the table, and the HTML report."""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.learn.evaluate import Example, Report, score
from bot.learn.project import LANGUAGES


@dataclass
class Comparison:
    """Old and new model on the held-out split."""

    before: dict[str, Report]  # old model, examples of the existing intents, per language
    after: dict[str, Report]  # new model, the same examples
    full_before: dict[str, Report]  # old model, every held-out example (it cannot know the new intents)
    full: dict[str, Report]  # new model, every held-out example (the new intents' F1)
    new_intents: list[str]
    regressions: list[tuple[str, str, float, float]]  # language, intent, F1 before, F1 after
    confusion_before: Counter[tuple[str, str]]
    confusion_after: Counter[tuple[str, str]]


def compare(
    examples: list[Example], before: list[str], after: list[str], new_intents: set[str], tolerance: float
) -> Comparison:
    """Score both models; an existing intent regresses when its F1 drops by more than ``tolerance``."""
    reports: dict[str, dict[str, Report]] = {"before": {}, "after": {}, "full_before": {}, "full": {}}
    regressions = []
    for lang in LANGUAGES:
        rows = [i for i, e in enumerate(examples) if e.language == lang]
        old = [i for i in rows if examples[i].intent not in new_intents]
        if not rows:
            continue
        gold = [examples[i].intent for i in old]
        reports["before"][lang] = score(gold, [before[i] for i in old])
        reports["after"][lang] = score(gold, [after[i] for i in old])
        reports["full_before"][lang] = score([examples[i].intent for i in rows], [before[i] for i in rows])
        reports["full"][lang] = score([examples[i].intent for i in rows], [after[i] for i in rows])
        for intent, f1 in reports["before"][lang].f1_by_intent.items():
            now = reports["after"][lang].f1_by_intent.get(intent, 0.0)
            if f1 - now > tolerance + 1e-9:
                regressions.append((lang, intent, f1, now))
    return Comparison(
        before=reports["before"],
        after=reports["after"],
        full_before=reports["full_before"],
        full=reports["full"],
        new_intents=sorted(new_intents),
        regressions=regressions,
        confusion_before=Counter((e.intent, p) for e, p in zip(examples, before, strict=True)),
        confusion_after=Counter((e.intent, p) for e, p in zip(examples, after, strict=True)),
    )


def _rows(c: Comparison) -> list[tuple[str, bool, list[tuple[float | None, float | None]]]]:
    """(label, is new, per language (before, after)) for every intent, then the macro-F1 lines."""
    langs = [lang for lang in LANGUAGES if lang in c.after]
    old = sorted({i for lang in langs for i in c.before[lang].f1_by_intent})
    rows: list[tuple[str, bool, list[tuple[float | None, float | None]]]] = []
    for intent in old:
        rows.append(
            (
                intent,
                False,
                [(c.before[lang].f1_by_intent.get(intent), c.after[lang].f1_by_intent.get(intent)) for lang in langs],
            )
        )
    for intent in c.new_intents:
        rows.append((intent, True, [(None, c.full[lang].f1_by_intent.get(intent)) for lang in langs]))
    rows.append(
        ("macro-F1, existing intents", False, [(c.before[lang].macro_f1, c.after[lang].macro_f1) for lang in langs])
    )
    rows.append(
        ("macro-F1, all intents", False, [(c.full_before[lang].macro_f1, c.full[lang].macro_f1) for lang in langs])
    )
    return rows


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _delta(before: float | None, after: float | None) -> str:
    return "" if before is None or after is None else f"{after - before:+.3f}"


def format_table(c: Comparison) -> str:
    """The before/after table: F1 per intent and language, deltas, new intents and regressions marked."""
    langs = [lang for lang in LANGUAGES if lang in c.after]
    regressed = {(lang, intent) for lang, intent, _, _ in c.regressions}
    head = "held-out F1".ljust(30) + "".join(f"{lang + ' before':>11}{'after':>8}{'delta':>8}" for lang in langs)
    lines = [head, "-" * len(head)]
    for label, new, cells in _rows(c):
        text = (label + "  [new]" if new else label).ljust(30)
        for lang, (before, after) in zip(langs, cells, strict=True):
            mark = "!" if (lang, label) in regressed else " "
            text += f"{_num(before):>11}{_num(after):>8}{_delta(before, after):>7}{mark}"
        lines.append(text.rstrip())
    lines.append("existing intents: both models on the existing intents' held-out examples; [new]: the new model")
    lines.append("on every held-out example; the last line: both models on every example (new intents included)")
    return "\n".join(lines)


# --- the HTML report --------------------------------------------------------------------------------------------


def confusion_chart(c: Comparison) -> str:
    """A PNG (base64) of how predictions moved: after minus before, per gold and predicted intent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    delta = Counter(c.confusion_after)
    delta.subtract(c.confusion_before)
    cells = {k: v for k, v in delta.items() if v}
    if not cells:
        return ""
    gold = sorted({g for g, _ in cells})
    predicted = sorted({p for _, p in cells})
    # Green where things got better (more correct, fewer errors), red where they got worse.
    good = [[(cells.get((g, p), 0) if g == p else -cells.get((g, p), 0)) for p in predicted] for g in gold]
    limit = max(abs(v) for row in good for v in row) or 1
    figure, axes = plt.subplots(figsize=(max(5.0, 2.5 + 0.55 * len(predicted)), max(3.0, 2.0 + 0.4 * len(gold))))
    axes.imshow(good, cmap="RdYlGn", vmin=-limit, vmax=limit)
    axes.set_xticks(range(len(predicted)), predicted, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(gold)), gold, fontsize=8)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("held-out example's intent")
    axes.set_title("predictions, new model minus old model", fontsize=10)
    for y, g in enumerate(gold):
        for x, p in enumerate(predicted):
            if cells.get((g, p)):
                axes.text(x, y, f"{cells[(g, p)]:+d}", ha="center", va="center", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def write_report(
    path: Path, c: Comparison, review: Path, verdict: str, changed: list[str], notes: list[str], tolerance: float
) -> None:
    """learn-apply-report.html: self-contained, every text escaped."""
    e = html.escape
    langs = [lang for lang in LANGUAGES if lang in c.after]
    regressed = {(lang, intent) for lang, intent, _, _ in c.regressions}
    head = "".join(f"<th>{e(lang)} before</th><th>{e(lang)} after</th><th>{e(lang)} Δ</th>" for lang in langs)
    body = []
    for label, new, cells in _rows(c):
        row = f"<td>{e(label)}{' <b>new</b>' if new else ''}</td>"
        for lang, (before, after) in zip(langs, cells, strict=True):
            bad = ' class="bad"' if (lang, label) in regressed else ""
            row += f"<td>{_num(before)}</td><td>{_num(after)}</td><td{bad}>{e(_delta(before, after))}</td>"
        body.append(f"<tr>{row}</tr>")
    chart = confusion_chart(c)
    figure = (
        f'<img alt="change of the confusion matrix" src="data:image/png;base64,{chart}">'
        if chart
        else "<p>No prediction changed.</p>"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bot learn apply: {e(review.name)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}td:first-child{{text-align:left}}
.bad{{background:#fdd;font-weight:bold}}</style></head><body>
<h1>bot learn apply: {e(review.name)}</h1>
<p><b>{e(verdict)}</b> (tolerance: an existing intent may lose at most {tolerance:.3f} F1 per language)</p>
<h2>Held-out F1, before and after</h2>
<table><tr><th>intent</th>{head}</tr>
{"".join(body)}</table>
<p>Existing intents: both models on the existing intents' held-out examples. New intents: the new model on every
held-out example. "All intents": both models on every held-out example, the new intents included.</p>
<h2>How predictions changed</h2>
<p>Held-out examples of both languages, new model minus old model. Green: more correct answers or fewer
mistakes; red: fewer correct answers or more mistakes.</p>
{figure}
<h2>Files</h2><ul>{"".join(f"<li>{e(f)}</li>" for f in changed)}</ul>
<h2>Notes</h2><ul>{"".join(f"<li>{e(n)}</li>" for n in notes) or "<li>none</li>"}</ul>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
