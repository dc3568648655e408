"""The digest's chart: customer messages per day (bars) and the share of negative messages (line), as a PNG."""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.insights.digest.summary import Digest
from bot.nlp.sentiment.scoring import NEGATIVE_TO

NAVY, RED = "#23395d", "#c0392b"
MAX_LABELS = 14  # day labels on the axis; a longer report labels every second, third... day


def render_chart(digest: Digest) -> bytes:
    """A 900x450 PNG, the same bytes for the same digest (no pyplot state, no timestamp in the file)."""
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    labels = [f"{day.date:%a %d}" for day in digest.days]
    positions = list(range(len(digest.days)))
    bars.bar(positions, [day.messages for day in digest.days], color=NAVY, width=0.6)
    step = math.ceil(len(positions) / MAX_LABELS) or 1
    bars.set_xticks(positions[::step], labels[::step])
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_ylabel("customer messages", color=NAVY)
    bars.set_ylim(bottom=0)
    line = bars.twinx()
    shares = [math.nan if day.negative_share is None else 100 * day.negative_share for day in digest.days]
    line.plot(positions, shares, color=RED, marker="o", linewidth=2)
    line.set_ylabel(f"negative messages, % (score <= {NEGATIVE_TO})", color=RED)
    line.set_ylim(0, 100)
    figure.suptitle(f"Passerelle, {digest.first_day:%d %b} to {digest.last_day:%d %b %Y} ({digest.zone})")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
