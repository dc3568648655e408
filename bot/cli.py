"""The ``bot`` command line: train, run, chat, evaluate, benchmark, learn and report.

Over 300 lines: one short function per command and the argument parser; the work is in the commands' packages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from datetime import date
from pathlib import Path

from bot.config import Settings, load_env_file
from bot.learn.model import TrainingInputs, train

HELDOUT = ("tests/nlu/heldout_fr.yml", "tests/nlu/heldout_en.yml")
# The commands a person types read ./.env (as docker compose does); `bot serve` takes its environment as given.
READS_DOTENV = ("run", "chat", "doctor", "report", "digest")


def _model(settings: Settings, force: bool = False, config: str | None = None, log: Path | None = None) -> Path:
    inputs = TrainingInputs.of_project(settings.project_root, Path(config) if config else None)
    return train(inputs, settings.models_dir, force=force, log=log)


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    """Train the model unless the cached one matches the inputs."""
    print(_model(settings, force=args.force))
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    """Chat in the terminal through an already running gateway (GATEWAY_URL), like any customer channel."""
    from websockets.exceptions import WebSocketException

    from bot.channels.terminal import chat

    try:
        asyncio.run(chat(settings.gateway_url, language_hint=args.language or settings.language_hint or None))
    except (OSError, WebSocketException) as error:  # no gateway there, or it refused or dropped the socket
        print(
            f"bot chat: cannot reach the gateway at {settings.gateway_url} ({error}): is `bot run` up?", file=sys.stderr
        )
        return 1
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Train if needed, start Redis, the action server and Rasa, then chat in the terminal.

    SIGTERM (``kill``, a process manager) and SIGHUP (a closed terminal) stop everything as Ctrl-C does: the
    services run in sessions of their own, so no signal sent to this process reaches them.
    """
    from bot.local.stack import Stack

    stack = Stack(settings)
    model = _model(settings, log=stack.log_dir / "train.log")  # Rasa's warnings and progress bars: in the log
    stops = (signal.SIGTERM, signal.SIGHUP)
    for stop in stops:
        signal.signal(stop, _interrupt)
    try:
        print("starting Redis, the action server, Rasa and the gateway (about 20 s) ...", file=sys.stderr)
        stack.start(model, gateway=True)
        print(
            f"ready: Rasa on {settings.rasa_url}, gateway on {settings.gateway_url}, logs in {stack.log_dir}",
            file=sys.stderr,
        )
        if args.no_chat:
            print("services running; press Ctrl-C to stop", file=sys.stderr)
            while all(p.poll() is None for p in stack.processes.values()):
                asyncio.run(asyncio.sleep(1))
            return 1
        return cmd_chat(settings, args)
    except KeyboardInterrupt:
        return 0
    finally:
        for stop in stops:  # a second signal must not cut the stopping short
            signal.signal(stop, signal.SIG_IGN)
        stack.stop()


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    """Evaluate intent classification on the held-out split, in process."""
    from bot.learn.evaluate import evaluate, format_reports, load_examples

    model = Path(args.model) if args.model else _model(settings, config=args.config)
    files = args.files or [settings.project_root / f for f in HELDOUT]
    examples = [e for f in files for e in load_examples(Path(f), Path(f).stem.rsplit("_", 1)[-1])]

    async def run() -> None:
        import logging

        from rasa.core.agent import Agent
        from rasa.utils.common import configure_logging_and_warnings
        from rasa.utils.log_utils import configure_structlog

        configure_logging_and_warnings(logging.WARNING)
        configure_structlog(logging.WARNING)
        agent = Agent.load(str(model))

        async def predict(text: str) -> str:
            result = await agent.parse_message(text)
            return str(result["intent"]["name"])

        print(format_reports(await evaluate(examples, predict)))

    asyncio.run(run())
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run the gateway (webhooks, health, dispatcher) until interrupted."""
    import uvicorn

    from bot.gateway.app import create_app
    from bot.gateway.logs import configure_logging

    configure_logging(settings)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port or settings.gateway_port,
        log_config=None,  # uvicorn's own lines go through our format too (text or JSON)
        log_level="warning",
        access_log=False,
        ws="wsproto",
        timeout_graceful_shutdown=5,
    )
    return 0


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Check the configuration and every service the bot needs; one line per check, exit 1 on an error."""
    from bot.doctor.report import run

    return run(settings)


def cmd_nlp_build(settings: Settings, args: argparse.Namespace) -> int:
    """Build the bilingual spaCy pipeline that config.yml loads."""
    from bot.nlp.spacy_pipeline import DEFAULT_PATH, build

    print(build(settings.project_root / DEFAULT_PATH))
    return 0


def cmd_sentiment(settings: Settings, args: argparse.Namespace) -> int:
    """Print a message's sentiment and the terms that made it, or score the lexicon on a labelled file."""
    from bot.nlp.language import detect_language
    from bot.nlp.sentiment.evaluation import HELDOUT, evaluate, format_report
    from bot.nlp.sentiment.scoring import score

    if args.eval is not None:
        print(format_report(evaluate(Path(args.eval) if args.eval else HELDOUT)))
        return 0
    if not args.text:
        print("bot sentiment: give a message, or --eval [PATH]", file=sys.stderr)
        return 2
    language = args.language or detect_language(args.text)
    result = score(args.text, language)
    print(f"{result.score:+.3f} {result.label}{' (strong)' if result.strong else ''} [{language}]")
    for term, weight in result.terms:
        print(f"  {weight:+.2f}  {term}")
    return 0


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    """Measure training time, latencies and held-out scores; print them and write bench-results.json."""
    import tempfile

    from bot.bench.nlu import write_previous_config
    from bot.bench.run import run_bench

    output = Path(args.output)
    heldout = [settings.project_root / f for f in HELDOUT]
    snips_fr = Path(args.snips_fr) if args.snips_fr else None
    results = run_bench(settings, heldout, output, not args.skip_training, snips_fr)
    if args.clinc150:
        from bot.bench import clinc150

        figures = clinc150.run(Path(args.clinc150), settings.project_root / "config.yml")
        with tempfile.TemporaryDirectory() as scratch:
            previous = write_previous_config(settings.project_root, Path(scratch))
            before = clinc150.run(Path(args.clinc150), previous)
        figures.update({f"previous_{key}": value for key, value in before.items() if "gate" not in key})
        results.update(figures)
        previous = json.loads(output.read_text())
        output.write_text(json.dumps({**previous, **figures}, indent=2) + "\n")
        print(clinc150.table(figures))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key.ljust(width)}  {value}")
    print(f"written to {output}")
    return 0


def cmd_calibrate(settings: Settings, args: argparse.Namespace) -> int:
    """Choose the out-of-scope gate's threshold by cross-validation of data/nlu and print it for config.yml."""
    from bot.learn.calibration import MAX_IN_SCOPE_LOSS, calibrate_project

    chosen = calibrate_project(settings.project_root, folds=args.folds)
    print(
        f"{args.folds}-fold cross-validation of data/nlu: in-scope accuracy {chosen['in_scope_accuracy']}, "
        f"out_of_scope examples declined {chosen['oos_recall']} (at most {MAX_IN_SCOPE_LOSS} points given up)"
    )
    print(f"config.yml, LinearIntentClassifier > out_of_scope_gate:\n  threshold: {chosen['threshold']}")
    return 0


def cmd_learn_mine(settings: Settings, args: argparse.Namespace) -> int:
    """Collect what the bot did not handle, redact it, cluster it, and write a review file and report."""
    from bot.learn.mining import run

    return run(settings, args)


def cmd_learn_apply(settings: Settings, args: argparse.Namespace) -> int:
    """Apply a review file, retrain, and keep the new model only if no intent regressed."""
    from bot.learn.apply import run

    return run(settings, args)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write the service digest of a period as an HTML page."""
    from bot.insights.digest.job import run_report

    return run_report(settings, args)


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    """Post the service digest of a period now, to Slack or (without Slack) as a page in var/reports."""
    from bot.boards.base import open_board
    from bot.insights.digest.job import run_digest

    return run_digest(settings, args, open_board)


def _period_arguments(p: argparse.ArgumentParser, days: int) -> None:
    p.add_argument("--days", type=int, default=days, help=f"the whole local days before today (default {days})")
    p.add_argument("--from", dest="first", type=date.fromisoformat, metavar="YYYY-MM-DD", help="first local day")
    p.add_argument("--to", dest="last", type=date.fromisoformat, metavar="YYYY-MM-DD", help="last local day, included")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="bot", description="Passerelle customer-service bot")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("train", help="train the Rasa model (cached by a hash of its inputs)")
    p.add_argument("--force", action="store_true", help="train even if a cached model matches")
    p.set_defaults(handler=cmd_train)

    p = commands.add_parser("run", help="start Redis, actions and Rasa, then chat in the terminal")
    p.add_argument("--no-chat", action="store_true", help="only run the services")
    p.add_argument("--language", help="language hint for the terminal chat (fr or en)")
    p.set_defaults(handler=cmd_run)

    p = commands.add_parser("chat", help="chat in the terminal through a running gateway (GATEWAY_URL)")
    p.add_argument("--language", help="language hint (fr or en)")
    p.set_defaults(handler=cmd_chat)

    p = commands.add_parser("eval", help="intent macro-F1 per language on the held-out split")
    p.add_argument("--model", help="model archive (default: the cached model of the current inputs)")
    p.add_argument("--config", help="evaluate the model trained with this config instead of config.yml")
    p.add_argument("files", nargs="*", help="held-out NLU files named *_<language>.yml")
    p.set_defaults(handler=cmd_eval)

    p = commands.add_parser("serve", help="run the gateway: platform webhooks, health, replies")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--port", type=int, help="port (default: from GATEWAY_URL, 8080)")
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser("doctor", help="check settings, tokens and connections, and say what to fix")
    p.set_defaults(handler=cmd_doctor)

    p = commands.add_parser("nlp-build", help="build the bilingual spaCy pipeline (build/spacy/fr_en)")
    p.set_defaults(handler=cmd_nlp_build)

    p = commands.add_parser("sentiment", help="a message's sentiment (-1..1, label), or --eval on a labelled file")
    p.add_argument("text", nargs="?", help="the customer's message")
    p.add_argument("--language", choices=["fr", "en"], help="the message's language (default: detected)")
    p.add_argument("--eval", nargs="?", const="", metavar="PATH", help="score a labelled file (default: held-out set)")
    p.set_defaults(handler=cmd_sentiment)

    p = commands.add_parser("bench", help="measure training time, latencies and held-out scores")
    p.add_argument("--output", default="bench-results.json", help="JSON file to update with the figures")
    p.add_argument("--skip-training", action="store_true", help="do not time a fresh training")
    p.add_argument("--clinc150", help="also train and score the pipeline on CLINC150 (path to its data_full.json)")
    p.add_argument("--snips-fr", help="also count off-topic French messages declined (SNIPS-fr's test CSV)")
    p.set_defaults(handler=cmd_bench)
    p = commands.add_parser("calibrate", help="choose the out-of-scope gate's threshold (cross-validation of data/nlu)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.set_defaults(handler=cmd_calibrate)
    p = commands.add_parser("learn", help="turn conversation logs into new intents: mine, review, apply")
    learn = p.add_subparsers(dest="learn_command", required=True)
    p = learn.add_parser("mine", help="find unhandled messages in the logs and propose intents for review")
    p.add_argument(
        "source",
        nargs="?",
        help="redis://host:port/db (Rasa's tracker store), http(s)://rasa-server (its HTTP API), or a file with "
        "one tracker JSON per line; default: the tracker store of the current settings",
    )
    p.add_argument("--ids", help="with a Rasa URL: file of conversation ids (default: read from the tracker store)")
    p.add_argument("--out", default="learn-review.yml", help="review file to write")
    p.add_argument("--report", default="learn-report.html", help="HTML report to write")
    p.add_argument("--confidence", type=float, default=0.6, help="predictions below this count as unhandled")
    p.add_argument("--min-cluster", type=int, default=3, help="smallest cluster proposed as an intent")
    p.set_defaults(handler=cmd_learn_mine)
    p = learn.add_parser("apply", help="write accepted intents into the project, retrain, promote if no regression")
    p.add_argument("review", help="the review file written by `bot learn mine` and edited by a trainer")
    p.add_argument("--accept-all", action="store_true", help="accept every pending candidate and addition")
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.06,
        help="largest F1 drop allowed for an existing intent, per language (one held-out example of ~10 is ~0.05)",
    )
    p.add_argument("--project", default=".", help="the Rasa project to change (data/, domain.yml, config.yml)")
    p.set_defaults(handler=cmd_learn_apply)

    p = commands.add_parser("report", help="write the service digest of a period as an HTML page (journal in Redis)")
    _period_arguments(p, 7)
    p.add_argument("--out", default="report.html", help="HTML file to write")
    p.set_defaults(handler=cmd_report)
    p = commands.add_parser("digest", help="post the service digest now, to Slack (or var/reports without Slack)")
    _period_arguments(p, 7)
    p.set_defaults(handler=cmd_digest)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``bot`` and ``python -m bot``."""
    args = build_parser().parse_args(argv)
    if args.command in READS_DOTENV:
        load_env_file(Path(".env"))
    return int(args.handler(Settings.from_env(), args))
