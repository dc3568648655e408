"""``bot bench``: measures the core on this machine and writes bench-results.json.

Figures: training time of the demo model, ``POST /model/parse`` latency, REST round-trip latency (NLU, policies,
actions and Redis), a turn's latency at turn 1, 20, 50 and 100 of a conversation, held-out intent macro-F1 per
language, and the gateway's webhook acknowledgement latency (sequential and 20 in flight), on loopback; ``bot learn
mine`` on 100,000 logged messages (time, peak memory); and the sentiment lexicon's held-out accuracy and macro-F1
per language and time per message.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from bot.bench import comments as comments_bench
from bot.bench import gateway as gateway_bench
from bot.bench import nlu as bench_nlu
from bot.bench.acks import measure_acks
from bot.bench.arrivals import Arrivals
from bot.bench.stats import percentile
from bot.config import Settings
from bot.conversation import Inbound
from bot.learn.evaluate import evaluate, load_examples
from bot.learn.model import TrainingInputs, train
from bot.local.stack import Stack, free_port
from bot.local.threaded_server import serve_in_thread
from bot.nlp.sentiment import evaluation as sentiment_eval
from bot.nlp.sentiment.scoring import score
from bot.rasa_client import RasaClient


async def _timed(calls: int, make_call: Any) -> list[float]:
    durations = []
    for i in range(calls):
        started = time.perf_counter()
        await make_call(i)
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def measure_redis_per_conversation(redis_url: str, pattern: str = "passerelle:events:bench:*") -> dict[str, Any]:
    """Redis memory of a conversation as the tracker store keeps it (its events and turn starts), per 10,000.

    Read with ``MEMORY USAGE`` on the conversations ``measure`` made (5 turns each, through the real Rasa).
    """
    client = redis.Redis.from_url(redis_url)
    sizes: list[int] = []
    for key in client.scan_iter(match=pattern, count=1000):
        turns = key.replace(b":events:", b":turns:", 1)
        sizes.append(int(client.memory_usage(key, samples=0) or 0) + int(client.memory_usage(turns, samples=0) or 0))
    if not sizes:
        return {}
    return {"redis_mb_per_10k_conversations": round(statistics.mean(sizes) * 10_000 / 2**20, 1)}


TURN_POINTS = (1, 20, 50, 100)
_LONG_CONVERSATION = ["bonjour", "où est ma commande 48213 ?", "merci", "quels sont vos horaires ?", "hello", "thanks"]


async def measure_turn_latency(client: RasaClient, conversations: int = 4) -> dict[str, Any]:
    """What a turn costs at turn 1, 20, 50 and 100 of one conversation, through Rasa's REST channel.

    The figure at turn N is the median over ``conversations`` conversations of the turns N to N+5 (one pass over
    the six messages, so every point mixes the same questions, the order-status one included).
    """
    span = len(_LONG_CONVERSATION)
    last = TURN_POINTS[-1] + span - 1
    at: dict[int, list[float]] = {point: [] for point in TURN_POINTS}
    for number in range(conversations):
        sender = f"long:{number}:{secrets.token_hex(3)}"
        for turn in range(1, last + 1):
            started = time.perf_counter()
            await client.send(Inbound(sender, "bench", _LONG_CONVERSATION[(turn - 1) % span]))
            elapsed = (time.perf_counter() - started) * 1000
            for point in TURN_POINTS:
                if point <= turn < point + span:
                    at[point].append(elapsed)
    medians = {point: statistics.median(values) for point, values in at.items()}
    return {
        "turn_latency_ms": {str(point): round(value, 1) for point, value in medians.items()},
        "turn_latency_ratio_100_to_1": round(medians[100] / medians[1], 3),
    }


async def measure(client: RasaClient, heldout: list[Path]) -> dict[str, Any]:
    """Latencies and held-out scores against a running stack."""
    examples = [e for f in heldout for e in load_examples(f, f.stem.rsplit("_", 1)[-1])]
    texts = [e.text for e in examples]
    for text in texts[:20]:  # warm-up
        await client.parse(text)
    parse_ms = await _timed(len(texts) * 2, lambda i: client.parse(texts[i % len(texts)]))
    turns = ["bonjour", "où est ma commande 48213 ?", "hello", "where is order CMD-60114", "merci"]
    round_ms = await _timed(
        200, lambda i: client.send(Inbound(f"bench:{i // len(turns)}", "bench", turns[i % len(turns)]))
    )

    async def predict(text: str) -> str:
        return str((await client.parse(text))["intent"]["name"])

    reports = await evaluate(examples, predict)
    return {
        "parse_p50_ms": round(statistics.median(parse_ms), 2),
        "parse_p99_ms": round(percentile(parse_ms, 99), 2),
        "rest_round_trip_p50_ms": round(statistics.median(round_ms), 2),
        "rest_round_trip_p99_ms": round(percentile(round_ms, 99), 2),
        **{f"heldout_macro_f1_{lang}": round(r.macro_f1, 4) for lang, r in reports.items()},
        **{f"heldout_accuracy_{lang}": round(r.accuracy, 4) for lang, r in reports.items()},
    }


def measure_mining(project: Path, messages: int = 100_000) -> dict[str, Any]:
    """``bot learn mine`` on ``messages`` synthetic logged messages, in a fresh process: seconds and peak memory."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "bot.learn.sample_logs", str(messages)],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def measure_sentiment(rounds: int = 10) -> dict[str, Any]:
    """Sentiment lexicon: accuracy and macro-F1 per language (held-out and blind sets), milliseconds per message."""
    report = sentiment_eval.evaluate(sentiment_eval.HELDOUT)  # loads both lexicons first
    examples = sentiment_eval.load_examples(sentiment_eval.HELDOUT)
    started = time.perf_counter()
    for _ in range(rounds):
        for example in examples:
            score(example.text, example.language)
    per_message = (time.perf_counter() - started) * 1000 / (rounds * len(examples))
    blind = sentiment_eval.evaluate(sentiment_eval.BLIND)
    return {
        **{f"sentiment_heldout_accuracy_{lang}": figures["accuracy"] for lang, figures in report.items()},
        **{f"sentiment_heldout_macro_f1_{lang}": figures["macro_f1"] for lang, figures in report.items()},
        **{f"sentiment_blind_accuracy_{lang}": figures["accuracy"] for lang, figures in blind.items()},
        "sentiment_ms_per_message": round(per_message, 3),
    }


def run_bench(
    settings: Settings,
    heldout: list[Path],
    output: Path,
    measure_training: bool = True,
    snips_fr: Path | None = None,
) -> dict[str, Any]:
    """Train (timed, in a scratch folder), start the stack, measure, and write ``output``.

    ``snips_fr``: SNIPS-fr's test file, for the share of off-topic French messages the bot declines.
    """
    inputs = TrainingInputs.of_project(settings.project_root)
    results: dict[str, Any] = {}
    if measure_training:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.monotonic()
            train(inputs, Path(scratch), force=True, component_cache=Path(scratch) / "cache")
            results["train_seconds"] = round(time.monotonic() - started, 1)
    results.update(measure_mining(settings.project_root))
    results.update(measure_sentiment())
    english = [path for path in heldout if path.stem.endswith("_en")]
    if english:
        results.update(bench_nlu.measure_cross_lingual(settings.project_root, english[0]))
    results.update(bench_nlu.measure_previous_model(settings.project_root, heldout, snips_fr))
    model = train(inputs, settings.models_dir)
    bench_settings = Settings(
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_token=secrets.token_hex(16),
        action_server_url=f"http://127.0.0.1:{free_port()}/webhook",
        gateway_url=f"http://127.0.0.1:{free_port()}",
        redis_url=settings.redis_url,
        project_root=settings.project_root,
        models_dir=settings.models_dir,
        var_dir=Path(tempfile.mkdtemp(prefix="passerelle-bench-")),
        rasa_workers=settings.rasa_workers,
    )
    stack = Stack(bench_settings)
    stack.start(model)
    arrivals = Arrivals()
    sinks = gateway_bench.Sinks(arrivals)
    graph = comments_bench.GraphSink(arrivals)
    try:
        with serve_in_thread(sinks.app()) as sink_url, serve_in_thread(graph.app()) as graph_url:
            gateway_env = {
                **comments_bench.gateway_env(graph_url),
                "TELEGRAM_TOKEN": gateway_bench.TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": gateway_bench.SECRET,
                "TELEGRAM_API_URL": f"{sink_url}/bot",
                "PUBLIC_URL": bench_settings.gateway_url,
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": gateway_bench.SLACK_SECRET,
                "SLACK_SUPPORT_CHANNEL": gateway_bench.CHANNEL,
                "SLACK_API_URL": f"{sink_url}/api/",
                "FLOOD_LIMIT_MESSAGES": "1000",  # one bench conversation sends 60 messages in a few seconds
                "DIGEST_SCHEDULE": "off",  # a digest built mid-run would weigh on the figures
            }
            stack.start_gateway(gateway_env)
            at_rest = {name: gateway_bench.rss_mb(p.pid) for name, p in stack.processes.items()}
            under_load: dict[str, float] = {}

            def sample() -> None:
                for name, process in stack.processes.items():
                    under_load[name] = max(under_load.get(name, 0.0), gateway_bench.rss_mb(process.pid))

            async def session() -> dict[str, Any]:
                client = RasaClient(bench_settings.rasa_url, bench_settings.rasa_token)
                bench = gateway_bench.Bench(bench_settings.gateway_url, client, sinks)
                try:
                    figures = await measure(client, heldout)
                    figures.update(measure_redis_per_conversation(stack.redis_url))
                    figures.update(await measure_turn_latency(client))
                    figures.update(await bench_nlu.measure_bad_input(client))
                    if snips_fr is not None:
                        figures.update(await bench_nlu.measure_off_topic(client, bench_nlu.snips_texts(snips_fr)))
                    figures.update(await measure_acks(bench_settings.gateway_url, bench.drain))
                    figures.update(
                        await bench.overhead(
                            lambda: {n: gateway_bench.cpu_seconds(p.pid) for n, p in stack.processes.items()}
                        )
                    )
                    figures["throughput_msgs_per_s"] = await bench.throughput(sample)
                    figures.update(await bench.handoff_relay())
                    desk = comments_bench.CommentBench(bench_settings.gateway_url, graph, sinks)
                    figures.update(await desk.measure())
                    figures["rss_mb"] = {"at_rest": at_rest, "under_load": under_load}
                    figures["rasa_workers"] = bench_settings.rasa_workers
                    question = "où en est ma commande 48213 ?"  # needs the action server
                    plans: dict[str, gateway_bench.KillPlan] = {
                        "gateway": (
                            lambda: stack.kill("gateway"),
                            lambda: stack.start_gateway(gateway_env),
                            "bonjour",
                        ),
                        "actions": (lambda: stack.kill("actions"), stack.start_actions, question),
                        "rasa": (lambda: stack.kill("rasa"), lambda: stack.start_rasa(model), question),
                    }
                    figures.update(await gateway_bench.kill_runs(bench, plans))
                    return figures
                finally:
                    await bench.http.aclose()
                    await client.aclose()

            results.update(asyncio.run(session()))
    finally:
        stack.stop()
    previous = json.loads(output.read_text()) if output.exists() else {}
    output.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
    return results
