"""Editing the Rasa project for ``bot learn apply``: new intents, their examples, responses and rules.

Over 300 lines: one text-preserving editor per project file (nlu, domain, rules), each with its check.

Everything here computes new file contents as text and checks them by parsing them back; nothing is written
until :func:`write` is called. Hand-written files are only appended to (domain.yml, data/rules.yml, the held-out
split), never rewritten, so their comments and formatting stay as they are. Learned examples go to files of
their own: ``data/nlu/<lang>/<intent>.yml`` for a new intent, ``data/nlu/<lang>/learned_<intent>.yml`` for new
examples of an existing one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.learn.evaluate import Example, load_examples, strip_annotations

LANGUAGES = ("fr", "en")
HEADER_MARK = "# Written by `bot learn apply`"
HELDOUT_SHARE = 0.2
MIN_FOR_HELDOUT = 5
# Intents Rasa defines itself; a learned intent may not take their names.
RASA_DEFAULT_INTENTS = frozenset({"restart", "back", "session_start", "nlu_fallback", "out_of_scope"})
_INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{1,63}")
_TOP_LEVEL_KEY = re.compile(r"[A-Za-z_\"']")


class ProjectError(Exception):
    """The project cannot be changed as asked (its files are not shaped as expected)."""


@dataclass
class NewIntent:
    """An intent to create: its response, training examples and held-out examples per language."""

    name: str
    response: dict[str, str]
    train: dict[str, list[str]] = field(default_factory=lambda: {lang: [] for lang in LANGUAGES})
    heldout: dict[str, list[str]] = field(default_factory=lambda: {lang: [] for lang in LANGUAGES})


@dataclass
class Paths:
    """Where the project's files are."""

    root: Path

    @property
    def domain(self) -> Path:
        """domain.yml."""
        return self.root / "domain.yml"

    @property
    def rules(self) -> Path:
        """data/rules.yml (the training data is data/nlu, data/rules.yml and data/stories.yml, see bot.learn.model)."""
        return self.root / "data" / "rules.yml"

    def nlu(self, language: str, name: str) -> Path:
        """A training-data file of one language."""
        return self.root / "data" / "nlu" / language / f"{name}.yml"

    def heldout(self, language: str) -> Path:
        """The held-out split of one language (never trained on)."""
        return self.root / "tests" / "nlu" / f"heldout_{language}.yml"


def fold(text: str) -> str:
    """The form under which two examples count as the same message."""
    return re.sub(r"\s+", " ", strip_annotations(text).lower()).strip()


def clean_example(text: str) -> str:
    """One example on one line, as it can be written in a Rasa ``examples: |`` block."""
    return re.sub(r"\s+", " ", text).strip()


def is_valid_intent_name(name: str) -> bool:
    """Lower-case letters, digits and underscores, starting with a letter; not a Rasa name."""
    return (
        bool(_INTENT_NAME.fullmatch(name))
        and name not in RASA_DEFAULT_INTENTS
        and not name.startswith(("utter_", "action_"))
    )


def domain_intents(paths: Paths) -> list[str]:
    """The intents domain.yml declares."""
    domain = yaml.safe_load(paths.domain.read_text(encoding="utf-8")) or {}
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents") or []]


def domain_responses(paths: Paths) -> dict[str, Any]:
    """The responses domain.yml declares."""
    domain = yaml.safe_load(paths.domain.read_text(encoding="utf-8")) or {}
    return dict(domain.get("responses") or {})


def is_learned(paths: Paths, intent: str) -> bool:
    """Whether ``intent`` was created by ``bot learn apply`` (its data files carry our header)."""
    for language in LANGUAGES:
        path = paths.nlu(language, intent)
        if path.exists() and path.read_text(encoding="utf-8").startswith(HEADER_MARK):
            return True
    return False


def known_examples(paths: Paths) -> dict[str, str]:
    """Every example of the training data and of the held-out split, folded, with its intent."""
    known: dict[str, str] = {}
    for language in LANGUAGES:
        files = sorted((paths.root / "data" / "nlu" / language).glob("*.yml"))
        if paths.heldout(language).exists():
            files.append(paths.heldout(language))
        for path in files:
            for example in load_examples(path, language):
                known.setdefault(fold(example.text), example.intent)
    return known


def split_heldout(examples: list[str]) -> tuple[list[str], list[str]]:
    """Split one language's examples into (training, held-out): about 20 %, at least 1 from 5 examples.

    The held-out ones are those whose text hashes lowest, so the split depends only on the texts.
    """
    if len(examples) < MIN_FOR_HELDOUT:
        return list(examples), []
    count = max(1, round(len(examples) * HELDOUT_SHARE))
    ranked = sorted(examples, key=lambda t: hashlib.sha256(fold(t).encode()).hexdigest())
    held = set(ranked[:count])
    return [t for t in examples if t not in held], [t for t in examples if t in held]


# --- text edits -------------------------------------------------------------------------------------------------


def _block_span(lines: list[str], key: str) -> tuple[int, int] | None:
    """Lines [start, end) of a top-level ``key:`` block.

    The block ends at the next top-level key, before the blank lines and column-0 comments that precede it.
    """
    start = next((i for i, line in enumerate(lines) if re.match(rf"{re.escape(key)}\s*:", line)), None)
    if start is None:
        return None
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if _TOP_LEVEL_KEY.match(lines[i]):
            end = i
            break
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return start, end


def _item_indent(lines: list[str], start: int, end: int, default: int) -> int:
    for line in lines[start + 1 : end]:
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            return len(line) - len(stripped)
    return default


def _insert(text: str, key: str, block: list[str], default_indent: int) -> str:
    """Insert ``block`` at the end of the top-level ``key`` block, indented like the block's items.

    The key is created at the end of the file when there is none.
    """
    lines = text.splitlines()
    span = _block_span(lines, key)
    if span is None:
        indent = default_indent
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"{key}:")
        at = len(lines)
    else:
        start, at = span
        rest = lines[start].split(":", 1)[1].strip()
        if rest and not rest.startswith("#"):
            raise ProjectError(f"`{key}:` is written in flow style; `bot learn apply` appends to block lists only")
        indent = _item_indent(lines, start, at, default_indent)
    lines[at:at] = [(" " * indent + line) if line else "" for line in block]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def add_to_domain(text: str, intent: str, response: dict[str, str], source: str) -> str:
    """domain.yml with ``intent`` declared and ``utter_<intent>`` answering in both languages."""
    domain = yaml.safe_load(text) or {}
    intents = [next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents") or []]
    if intent not in intents:
        text = _insert(text, "intents", [f"- {intent}"], 2)
    name = f"utter_{intent}"
    if name not in (domain.get("responses") or {}):
        block = ["", f"# Learned by `bot learn apply` from {source}", f"{name}:"]
        for language in LANGUAGES:
            block.append(f"  - condition: [{{type: slot, name: language, value: {language}}}]")
            block.append(f"    text: {_quoted(response[language])}")
        text = _insert(text, "responses", block, 2)
    check = yaml.safe_load(text) or {}
    declared = [next(iter(i)) if isinstance(i, dict) else str(i) for i in check.get("intents") or []]
    variations = (check.get("responses") or {}).get(name) or []
    by_language = {v["condition"][0]["value"]: v.get("text") for v in variations if v.get("condition")}
    if intent not in declared or set(by_language) != set(LANGUAGES):
        raise ProjectError(f"domain.yml: adding {intent} and {name} did not give the expected YAML")
    return text


def _has_rule(rules: list[dict[str, Any]], intent: str) -> bool:
    for rule in rules:
        steps = rule.get("steps") or []
        if (
            not rule.get("condition")
            and len(steps) >= 2
            and steps[0] == {"intent": intent}
            and steps[1] == {"action": f"utter_{intent}"}
        ):
            return True
    return False


def add_rule(text: str, intent: str, source: str) -> str:
    """data/rules.yml with the rule ``intent -> utter_<intent>``."""
    if _has_rule((yaml.safe_load(text) or {}).get("rules") or [], intent):
        return text
    block = [
        "",
        f"# Learned by `bot learn apply` from {source}",
        f"- rule: {intent} (learned)",
        f"  steps: [{{intent: {intent}}}, {{action: utter_{intent}}}]",
    ]
    text = _insert(text, "rules", block, 2)
    if not _has_rule((yaml.safe_load(text) or {}).get("rules") or [], intent):
        raise ProjectError(f"data/rules.yml: adding the rule for {intent} did not give the expected YAML")
    return text


def _examples_block(intent: str, examples: list[str]) -> list[str]:
    return [f"- intent: {intent}", "  examples: |", *(f"    - {e}" for e in examples)]


def nlu_file(existing: str | None, intent: str, examples: list[str], header: str) -> str:
    """A learned NLU file of one intent: created with ``header``, or with ``examples`` appended."""
    if existing is None:
        lines = [*header.splitlines(), 'version: "3.1"', "nlu:", *_examples_block(intent, examples)]
        return "\n".join(lines) + "\n"
    document = yaml.safe_load(existing) or {}
    blocks = document.get("nlu") or []
    if len(blocks) != 1 or blocks[0].get("intent") != intent:
        raise ProjectError(f"expected one `{intent}` block in a learned file, found {len(blocks)} blocks")
    return existing.rstrip("\n") + "\n" + "".join(f"    - {e}\n" for e in examples)


def append_heldout(existing: str | None, intent: str, examples: list[str], source: str) -> str:
    """A held-out file with an intent block appended."""
    block = [f"# {intent}: held out by `bot learn apply` from {source}", *_examples_block(intent, examples)]
    if existing is None:
        return "\n".join(['version: "3.1"', "nlu:", *block]) + "\n"
    return _insert(existing, "nlu", block, 0)


def _parse(text: str, language: str) -> list[Example]:
    """The examples of an NLU YAML text, read as ``load_examples`` reads a file."""
    examples: list[Example] = []
    for block in (yaml.safe_load(text) or {}).get("nlu") or []:
        if "intent" in block:
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    examples.append(Example(strip_annotations(line.strip()[2:].strip()), block["intent"], language))
    return examples


def _check_examples(text: str, intent: str, expected: list[str], language: str, where: str) -> None:
    found = {fold(e.text) for e in _parse(text, language) if e.intent == intent}
    missing = [e for e in expected if fold(e) not in found]
    if missing:
        raise ProjectError(f"{where}: examples not read back after writing: {missing[:3]}")


# --- the whole change -------------------------------------------------------------------------------------------


@dataclass
class Change:
    """New contents of every file that changes (None for a file that does not exist yet before)."""

    contents: dict[Path, str] = field(default_factory=dict)

    def put(self, path: Path, text: str) -> None:
        """Record ``text`` as the new content of ``path``, unless it is what the file already holds."""
        current = self.read(path)
        if current != text:
            self.contents[path] = text
        else:
            self.contents.pop(path, None)

    def read(self, path: Path) -> str | None:
        """The content ``path`` will have: the pending change, or the file on disk."""
        if path in self.contents:
            return self.contents[path]
        return path.read_text(encoding="utf-8") if path.exists() else None


def plan_changes(
    paths: Paths,
    intents: list[NewIntent],
    additions: dict[str, dict[str, list[str]]],
    source: str,
) -> Change:
    """The file contents that add ``intents`` and the ``additions`` (intent -> language -> examples)."""
    change = Change()
    for new in intents:
        for language in LANGUAGES:
            if new.train[language]:
                path = paths.nlu(language, new.name)
                header = (
                    f"{HEADER_MARK} from the review file {source}: customers' messages, redacted by `bot learn mine`.\n"
                    f"# Examples held out for evaluation are in tests/nlu/heldout_{language}.yml, never here.\n"
                )
                text = nlu_file(change.read(path), new.name, new.train[language], header)
                _check_examples(text, new.name, new.train[language], language, str(path))
                change.put(path, text)
            if new.heldout[language]:
                path = paths.heldout(language)
                text = append_heldout(change.read(path), new.name, new.heldout[language], source)
                _check_examples(text, new.name, new.heldout[language], language, str(path))
                change.put(path, text)
        domain = change.read(paths.domain)
        if domain is None:
            raise ProjectError(f"no domain.yml in {paths.root}")
        change.put(paths.domain, add_to_domain(domain, new.name, new.response, source))
        rules = change.read(paths.rules)
        if rules is None:
            raise ProjectError(f"no data/rules.yml in {paths.root}")
        change.put(paths.rules, add_rule(rules, new.name, source))
    for intent, by_language in additions.items():
        for language in LANGUAGES:
            if by_language.get(language):
                path = paths.nlu(language, f"learned_{intent}")
                header = (
                    f"{HEADER_MARK} from the review file {source}: new examples of {intent}; later reviews\n"
                    f"# append to this file. The hand-written examples of {intent} are in the other files here.\n"
                )
                text = nlu_file(change.read(path), intent, by_language[language], header)
                _check_examples(text, intent, by_language[language], language, str(path))
                change.put(path, text)
    return change


def write(change: Change) -> None:
    """Write every changed file (UTF-8)."""
    for path, text in change.contents.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
