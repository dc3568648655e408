"""``bot learn apply REVIEW``: write accepted intents into the project, retrain, keep the model if nothing regressed.

Over 300 lines: the steps below are one transaction (write, validate, retrain, compare, promote or restore),
and the restore path must be read beside every step it undoes.

1. Resolve the review: accepted candidates (merges folded in) become new intents, accepted additions and merges
   into existing intents become new examples of those intents. Anything a trainer must fix is refused up front.
2. About 20 % of each new intent's examples per language go to the held-out split (tests/nlu), the rest to
   data/nlu; domain.yml gets the intent and its fr/en response, data/rules.yml the rule (see bot.learn.project).
3. Every changed file is backed up, ``rasa data validate`` checks the result, and the new model is trained.
4. Old and new models are scored in this process on the held-out split. The new model is promoted (the changed
   files stay, and its archive is the one the project's inputs select) only if no existing intent loses more
   than ``--tolerance`` F1 in either language; otherwise every file is restored and the new archive deleted.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bot.config import Settings
from bot.learn import review as review_file
from bot.learn.comparison import compare, format_table, write_report
from bot.learn.evaluate import load_examples
from bot.learn.model import TrainingInputs, model_path, rasa_command_env
from bot.learn.project import (
    LANGUAGES,
    NewIntent,
    Paths,
    ProjectError,
    clean_example,
    domain_intents,
    domain_responses,
    fold,
    is_learned,
    is_valid_intent_name,
    known_examples,
    plan_changes,
    split_heldout,
    write,
)

MIN_EXAMPLES = 4
REPORT_NAME = "learn-apply-report.html"
# The answer of an accepted intent nobody wrote a response for (--accept-all): say so and offer a person, as
# utter_iamabot does; asking for an advisor is request_human, which hands over.
DEFAULT_RESPONSE = {
    "fr": "Je n'ai pas encore de réponse toute prête à cette question. Un conseiller peut vous aider : "
    "dites-le-moi simplement et je vous mets en relation.",
    "en": "I don't have a ready answer to that question yet. An advisor can help: just say so and I'll put you "
    "in touch.",
}

Train = Callable[[TrainingInputs, Path], Path]
Predict = Callable[[Sequence[Path], Sequence[str]], list[list[str]]]
Validate = Callable[[Path, set[str]], list[str]]


class ReviewError(Exception):
    """The review asks for something that cannot be applied; the message says what to fix."""


# --- the review -------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What applying a review changes."""

    intents: list[NewIntent] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # intents the domain does not have yet
    additions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def added_names(self) -> set[str]:
        """The intents and responses this plan adds."""
        return self.created | {f"utter_{name}" for name in self.created}


def _empty() -> dict[str, list[str]]:
    return {lang: [] for lang in LANGUAGES}


def _merge_target(
    candidate: review_file.Candidate, candidates: dict[str, review_file.Candidate]
) -> tuple[review_file.Candidate | str | None, list[str]]:
    """Where a merged candidate ends up, following merges of merges.

    Returns a candidate that is not merged, the name in the last ``merge_into`` when it is not a candidate id,
    or None for a circle; and the ids followed.
    """
    chain = [candidate.id]
    while candidate.action == "merge":
        into = str(candidate.merge_into)
        if into not in candidates:
            return into, chain
        candidate = candidates[into]
        if candidate.id in chain:
            return None, [*chain, candidate.id]
        chain.append(candidate.id)
    return candidate, chain


def resolve(review: review_file.Review, paths: Paths, accept_all: bool) -> Plan:
    """Turn the trainer's decisions into new intents and additions, checked against the project.

    With ``accept_all``, pending candidates and additions count as accepted; one that cannot be applied (bad
    name, too few examples) is skipped with a note instead of refusing the whole review.

    Raises:
        ReviewError: listing every problem a trainer must fix.

    """
    plan = Plan()
    problems: list[str] = []
    existing = set(domain_intents(paths))
    responses = set(domain_responses(paths))
    candidates = {c.id: c for c in review.candidates}

    def accepted(action: str) -> bool:
        return action == "accept" or (accept_all and action == "pending")

    groups: dict[str, list[review_file.Candidate]] = {c.id: [c] for c in review.candidates if accepted(c.action)}
    by_name = {candidates[cid].name: cid for cid in groups}
    extra: dict[str, dict[str, list[str]]] = {}

    def add_extra(intent: str, examples: dict[str, list[str]]) -> None:
        for lang in LANGUAGES:
            extra.setdefault(intent, _empty())[lang].extend(examples.get(lang, []))

    for c in review.candidates:
        if c.action != "merge":
            continue
        target, chain = _merge_target(c, candidates)
        if target is None:
            problems.append(f"candidate {c.id}: merges go round in a circle ({' -> '.join(chain)})")
        elif isinstance(target, str):  # merged into something that is not a candidate id
            if target in existing:
                add_extra(target, c.examples)
            elif target in by_name:
                groups[by_name[target]].append(c)
            else:
                problems.append(
                    f"candidate {c.id}: merge_into {target!r} is neither a candidate id nor an existing intent"
                )
        elif target.id in groups:
            groups[target.id].append(c)
        elif target.action == "reject":
            problems.append(f"candidate {c.id} is merged into {target.id}, which is rejected")
        else:
            problems.append(f"candidate {c.id} is merged into {target.id}, which is still pending: accept it")

    for a in review.additions:
        if not accepted(a.action):
            continue
        if a.intent in existing:
            add_extra(a.intent, a.examples)
        elif a.intent in by_name:
            groups[by_name[a.intent]].append(
                review_file.Candidate(id=f"addition to {a.intent}", name=a.intent, size=0, examples=a.examples)
            )
        elif a.action == "accept":
            problems.append(f"addition to {a.intent}: no such intent in domain.yml nor among accepted candidates")
        else:
            plan.notes.append(f"addition to {a.intent} skipped: no such intent")

    known = known_examples(paths)
    claimed: dict[str, str] = {}  # folded example -> the intent this review gives it

    def fresh(intent: str, texts: list[str]) -> list[str]:
        kept = []
        for text in (clean_example(t) for t in texts):
            key = fold(text)
            if not key:
                continue
            owner = known.get(key) or claimed.get(key)
            if owner is None:
                claimed[key] = intent
                kept.append(text)
            elif owner != intent:
                plan.notes.append(f"{text!r} left out of {intent}: it is already an example of {owner}")
        return kept

    names_seen: set[str] = set()
    for cid, group in groups.items():
        head = group[0]
        name, explicit = head.name, head.action == "accept"
        issues = []
        reapply = name in existing and is_learned(paths, name)
        if not is_valid_intent_name(name):
            issues.append(f"{name!r} is not a valid intent name (a-z, 0-9 and _, starting with a letter)")
        elif name in existing and not reapply:
            issues.append(f"{name!r} is already an intent: rename it, or merge it into {name}")
        elif f"utter_{name}" in responses and not reapply:
            issues.append(f"domain.yml already has a response utter_{name}: rename the intent")
        elif name in names_seen:
            issues.append(f"two accepted candidates are named {name!r}: rename one or merge them")
        merged: dict[str, list[str]] = _empty()
        for member in group:
            for lang in LANGUAGES:
                merged[lang].extend(member.examples.get(lang, []))
        new = NewIntent(name=name, response=dict(head.response))
        if not issues:
            total = 0
            for lang in LANGUAGES:
                kept = fresh(name, merged[lang])
                total += len(kept)
                new.train[lang], new.heldout[lang] = split_heldout(kept)
            if total < MIN_EXAMPLES and not reapply:
                issues.append(f"{name}: {total} new examples, at least {MIN_EXAMPLES} are needed")
            missing = [lang for lang in LANGUAGES if not head.response.get(lang, "").strip()]
            if missing and (not reapply or f"utter_{name}" not in responses):
                if accept_all:
                    for lang in missing:
                        new.response[lang] = DEFAULT_RESPONSE[lang]
                    plan.notes.append(
                        f"{name}: no {'/'.join(missing)} response written, using the default that offers an advisor"
                    )
                else:
                    issues.append(f"{name}: write the {' and '.join(missing)} response (or use --accept-all)")
            if reapply and not any(new.train.values()) and not any(new.heldout.values()):
                continue  # applied before, nothing new
        if issues:
            where = f"candidate {cid}"
            if explicit:
                problems.extend(f"{where}: {issue}" for issue in issues)
            else:
                plan.notes.extend(f"{where} skipped: {issue}" for issue in issues)
            continue
        names_seen.add(name)
        for lang in LANGUAGES:
            if merged[lang] and not new.heldout[lang] and not reapply:
                plan.notes.append(f"{name}: too few {lang} examples to hold any out, its {lang} F1 is not measured")
        if reapply:
            plan.notes.append(f"{name} exists already (learned before): only its new examples are added")
        else:
            plan.created.add(name)
        plan.intents.append(new)

    for intent, by_language in extra.items():
        added = {lang: fresh(intent, by_language[lang]) for lang in LANGUAGES}
        if any(added.values()):
            plan.additions[intent] = added
    pending = sum(c.action == "pending" for c in review.candidates) + sum(
        a.action == "pending" for a in review.additions
    )
    if pending and not accept_all:
        plan.notes.append(f"{pending} candidates or additions are still pending and were not applied")
    if problems:
        raise ReviewError("\n".join(problems))
    return plan


# --- the heavy parts, injectable --------------------------------------------------------------------------------


def train_model(inputs: TrainingInputs, models_dir: Path) -> Path:
    """The real training (cached by the inputs' hash)."""
    from bot.learn.model import train

    return train(inputs, models_dir)


def predict_with_models(models: Sequence[Path], texts: Sequence[str]) -> list[list[str]]:
    """Each model's intent for each text, the models loaded one after the other in this process."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from tqdm import tqdm

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    async def run() -> list[list[str]]:
        results = []
        for model in models:
            agent = Agent.load(str(model))
            predicted = []
            for text in tqdm(texts, desc=f"evaluating {model.name}", unit="msg", file=sys.stderr):
                predicted.append(str((await agent.parse_message(text))["intent"]["name"]))
            results.append(predicted)
        return results

    return asyncio.run(run())


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")


def validate_project(project: Path, added: set[str]) -> list[str]:
    """Run ``rasa data validate`` and return its problems.

    A problem is an error, or a warning other than "a response is not used in any story or rule" for a response
    only custom actions send (the one warning the project accepts, see tests/e2e/test_rasa_project.py).
    """
    paths = Paths(project)
    command = [
        sys.executable,
        "-m",
        "rasa",
        "data",
        "validate",
        "--domain",
        str(paths.domain),
        "--config",
        str(project / "config.yml"),
        "--data",
        *(str(p) for p in TrainingInputs.of_project(project).data),
    ]
    env = rasa_command_env(TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=600)
    output = _ANSI.sub("", result.stdout + result.stderr)
    problems = []
    if result.returncode != 0:
        problems.append(f"rasa data validate failed (exit code {result.returncode}):\n{output[-2000:]}")
    for warning in re.findall(r"UserWarning: (.*)", output):
        unused = _UNUSED.fullmatch(warning.strip())
        if unused is None or unused.group(1) in added:
            problems.append(warning.strip())
    return problems


# --- comparison -------------------------------------------------------------------------------------------------


# --- the command ------------------------------------------------------------------------------------------------


class Backup:
    """The original bytes of every file a change touches (None: the file is new), also copied to disk."""

    def __init__(self, root: Path, files: list[Path]) -> None:
        self.root = root
        self.saved = {path: path.read_bytes() if path.exists() else None for path in files}
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.folder = root / "var" / "learn-backup" / stamp
        for path, data in self.saved.items():
            relative = path.relative_to(root)
            if data is not None:
                (self.folder / relative).parent.mkdir(parents=True, exist_ok=True)
                (self.folder / relative).write_bytes(data)
        self.folder.mkdir(parents=True, exist_ok=True)
        created = [str(p.relative_to(root)) for p, d in self.saved.items() if d is None]
        (self.folder / "created-files.txt").write_text("".join(f"{c}\n" for c in created), encoding="utf-8")

    def restore(self) -> None:
        """Put every file back as it was, deleting the ones the change created."""
        for path, data in self.saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)
        shutil.rmtree(self.folder, ignore_errors=True)


def _old_model(inputs: TrainingInputs, dirs: list[Path], train: Train) -> Path:
    for folder in dirs:
        candidate = model_path(inputs, folder)
        if candidate.exists():
            return candidate
    print("no model for the current project yet: training it first", file=sys.stderr)
    return train(inputs, dirs[0])


def run(
    settings: Settings,
    args: argparse.Namespace,
    *,
    train: Train = train_model,
    predict: Predict = predict_with_models,
    validate: Validate = validate_project,
) -> int:
    """Apply the review; 0 when promoted (or nothing to do), 1 when not promoted, 2 when refused."""
    review_path = Path(args.review).resolve()
    project = Path(args.project).resolve()
    paths = Paths(project)
    tolerance = float(args.tolerance)
    try:
        review = review_file.load(review_path)
        plan = resolve(review, paths, bool(args.accept_all))
        change = plan_changes(paths, plan.intents, plan.additions, review_path.name)
    except (OSError, KeyError, ValueError, yaml.YAMLError, ReviewError, ProjectError) as error:
        print(f"refused, nothing changed:\n{error}", file=sys.stderr)
        return 2
    for note in plan.notes:
        print(f"note: {note}")
    if not change.contents:
        print("nothing to apply: the project already holds everything this review accepts")
        return 0
    changed = sorted(str(p.relative_to(project)) for p in change.contents)
    print(f"new intents: {', '.join(sorted(plan.created)) or 'none'}")
    for intent, by_language in plan.additions.items():
        print(f"new examples of {intent}: " + ", ".join(f"{len(v)} {k}" for k, v in by_language.items()))

    models_dir = project / "models"
    old_inputs = TrainingInputs.of_project(project)
    try:
        old_model = _old_model(old_inputs, [models_dir, settings.models_dir], train)
    except Exception as error:
        print(f"failed, nothing changed: no model of the current project to compare with: {error}", file=sys.stderr)
        return 1
    backup = Backup(project, list(change.contents))
    timings: dict[str, float] = {}
    new_model: Path | None = None
    try:
        write(change)
        print("files changed: " + ", ".join(changed), flush=True)
        started = time.monotonic()
        problems = validate(project, plan.added_names())
        timings["validate"] = time.monotonic() - started
        if problems:
            backup.restore()
            print("refused: rasa data validate found problems; every file is restored:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 2
        started = time.monotonic()
        new_model = train(TrainingInputs.of_project(project), models_dir)
        timings["train"] = time.monotonic() - started
        examples = [e for lang in LANGUAGES for e in load_examples(paths.heldout(lang), lang)]
        started = time.monotonic()
        before, after = predict([old_model, new_model], [e.text for e in examples])
        timings["evaluate"] = time.monotonic() - started
    except Exception as error:
        backup.restore()
        if new_model is not None and new_model != old_model:
            new_model.unlink(missing_ok=True)
        print(f"failed, every file is restored: {error}", file=sys.stderr)
        return 1
    except BaseException:
        backup.restore()
        raise

    # Intents that were in the domain before are gated, learned ones included; only created ones are "new".
    comparison = compare(examples, before, after, plan.created, tolerance)
    print(format_table(comparison))
    print("times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    report = review_path.parent / REPORT_NAME
    if comparison.regressions:
        backup.restore()
        if new_model != old_model:
            new_model.unlink(missing_ok=True)
        verdict = "not promoted: existing intents regressed, every file is restored and the new model deleted"
        print(verdict)
        for lang, intent, f1_before, f1_after in comparison.regressions:
            print(f"  {intent} ({lang}): F1 {f1_before:.3f} -> {f1_after:.3f}")
        write_report(report, comparison, review_path, verdict, changed, plan.notes, tolerance)
        print(f"report: {report}")
        return 1
    verdict = f"promoted: {new_model.name} (the model of the project's new inputs, which `bot run` uses)"
    print(verdict)
    print(f"backup of the changed files: {backup.folder}")
    write_report(report, comparison, review_path, verdict, changed, plan.notes, tolerance)
    print(f"report: {report}")
    return 0
