"""`bot learn apply` on a copy of the project, with training and evaluation replaced by fakes."""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.learn import apply
from bot.learn.evaluate import load_examples
from bot.learn.model import TrainingInputs, model_path
from bot.learn.project import fold, split_heldout
from tests.paths import LANGUAGES, ROOT

GIFT_FR = [
    "vous avez des cartes cadeaux ?",
    "je veux offrir un bon d'achat",
    "comment utiliser mon bon cadeau en ligne",
    "quel est le solde de ma carte cadeau",
    "la carte cadeau est valable combien de temps",
    "acheter une e-carte cadeau pour un anniversaire",
    "où saisir le code de ma carte cadeau",
]
GIFT_EN = [
    "do you sell gift cards",
    "i want to offer a gift voucher",
    "how do i redeem my gift card online",
    "what is the balance on my gift card",
    "how long is a gift card valid",
    "buy an e-gift card for a birthday",
    "where do i type my gift card code",
]
VOUCHER = {"fr": ["un chèque cadeau c'est possible ?", "bon cadeau de 50 euros"], "en": ["gift certificate?"]}
REJECTED = {"fr": ["il fait beau aujourd'hui", "quel temps demain"], "en": ["nice weather today"]}
ADDED = {"fr": ["elle en est où ma commande passée hier"], "en": ["any news about the parcel i ordered monday"]}
RESPONSE = {"fr": "Nos cartes cadeaux vont de 20 à 200 €, valables un an.", "en": "Our gift cards go from €20 to €200."}


def review_data(**changes: object) -> dict[str, object]:
    gift = {
        "id": "c01",
        "name": "gift_card",
        "action": "accept",
        "merge_into": None,
        "size": 14,
        "examples": {"fr": GIFT_FR, "en": GIFT_EN},
        "response": RESPONSE,
    }
    gift.update(changes)
    return {
        "source": "test",
        "conversations": 40,
        "messages": 90,
        "unhandled": 30,
        "candidates": [
            gift,
            {"id": "c02", "name": "voucher", "action": "merge", "merge_into": "c01", "size": 3, "examples": VOUCHER},
            {"id": "c03", "name": "weather", "action": "reject", "size": 3, "examples": REJECTED},
        ],
        "additions": [{"intent": "order_status", "action": "accept", "examples": ADDED}],
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(ROOT / "data", target / "data")
    shutil.copytree(ROOT / "tests" / "nlu", target / "tests" / "nlu")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, target / name)
    return target


def write_review(folder: Path, data: dict[str, object]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "review.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] not in ("models", "var")
    }


class Fakes:
    """Training writes a placeholder archive; the old model is right except on intents it does not know,
    the new one is right except where ``spoil`` says otherwise."""

    def __init__(self, project: Path, spoil: Callable[[str, str], str] = lambda text, intent: intent) -> None:
        self.project = project
        self.spoil = spoil
        self.trained: list[Path] = []
        self.old_intents = set(yaml.safe_load((project / "domain.yml").read_text())["intents"])

    def train(self, inputs: TrainingInputs, models_dir: Path) -> Path:
        target = model_path(inputs, models_dir)
        if not target.exists():
            models_dir.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"model")
            self.trained.append(target)
        return target

    def predict(self, models: Sequence[Path], texts: Sequence[str]) -> list[list[str]]:
        gold = {
            e.text: e.intent
            for lang in LANGUAGES
            for e in load_examples(self.project / "tests" / "nlu" / f"heldout_{lang}.yml", lang)
        }
        old = [gold[t] if gold[t] in self.old_intents else "nlu_fallback" for t in texts]
        return [old, [self.spoil(t, gold[t]) for t in texts]]

    @staticmethod
    def validate(project: Path, added: set[str]) -> list[str]:
        return []


def run(project: Path, review: Path, fakes: Fakes, *, accept_all: bool = False, tolerance: float = 0.02) -> int:
    args = argparse.Namespace(review=str(review), project=str(project), accept_all=accept_all, tolerance=tolerance)
    settings = Settings(project_root=project, models_dir=project.parent / "shared-models")
    return apply.run(settings, args, train=fakes.train, predict=fakes.predict, validate=fakes.validate)


def examples_of(project: Path, intent: str, language: str, *, heldout: bool = False) -> list[str]:
    files = (
        [project / "tests" / "nlu" / f"heldout_{language}.yml"]
        if heldout
        else sorted((project / "data" / "nlu" / language).glob("*.yml"))
    )
    return [e.text for path in files for e in load_examples(path, language) if e.intent == intent]


def only_insertions(before: bytes, after: bytes) -> bool:
    opcodes = difflib.SequenceMatcher(a=before.decode().splitlines(), b=after.decode().splitlines()).get_opcodes()
    return all(tag in ("equal", "insert") for tag, *_ in opcodes)


def test_apply_writes_the_intent_its_examples_response_rule_and_held_out_split(project: Path, tmp_path: Path) -> None:
    before = snapshot(project)
    review = write_review(tmp_path / "review", review_data())
    fakes = Fakes(project)

    assert run(project, review, fakes) == 0

    after = snapshot(project)
    created = set(after) - set(before)
    assert created == {
        "data/nlu/fr/gift_card.yml",
        "data/nlu/en/gift_card.yml",
        "data/nlu/fr/learned_order_status.yml",
        "data/nlu/en/learned_order_status.yml",
    }
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"domain.yml", "data/rules.yml", "tests/nlu/heldout_fr.yml", "tests/nlu/heldout_en.yml"}
    assert all(only_insertions(before[name], after[name]) for name in changed), "a hand-written line was touched"
    assert after["data/nlu/fr/gift_card.yml"].decode().startswith("# Written by `bot learn apply`")
    assert "review.yml" in after["data/nlu/fr/gift_card.yml"].decode()

    for lang, mined in (("fr", GIFT_FR + VOUCHER["fr"]), ("en", GIFT_EN + VOUCHER["en"])):
        trained = examples_of(project, "gift_card", lang)
        held = examples_of(project, "gift_card", lang, heldout=True)
        # The merged candidate's examples joined gift_card; about 20 % are held out, none of them trained on.
        assert sorted(trained + held) == sorted(mined)
        assert len(held) == round(len(mined) * 0.2) >= 1
        assert not set(trained) & set(held)
        learned = project / "data" / "nlu" / lang / "learned_order_status.yml"
        assert [(e.intent, e.text) for e in load_examples(learned, lang)] == [("order_status", t) for t in ADDED[lang]]
    text = "".join(b.decode() for b in after.values())
    assert not any(t in text for texts in REJECTED.values() for t in texts)
    assert "voucher" not in yaml.safe_load(after["domain.yml"])["intents"]

    domain = yaml.safe_load(after["domain.yml"])
    assert domain["intents"][-1] == "gift_card"
    assert domain["responses"]["utter_gift_card"] == [
        {"condition": [{"type": "slot", "name": "language", "value": lang}], "text": RESPONSE[lang]}
        for lang in LANGUAGES
    ]
    rules = yaml.safe_load(after["data/rules.yml"])["rules"]
    assert [r["steps"] for r in rules if r["steps"][0] == {"intent": "gift_card"}] == [
        [{"intent": "gift_card"}, {"action": "utter_gift_card"}]
    ]
    # The new model is the one of the project's new inputs: what `bot run` picks.
    assert fakes.trained[-1] == model_path(TrainingInputs.of_project(project), project / "models")
    assert fakes.trained[-1].exists()
    report = (tmp_path / "review" / "learn-apply-report.html").read_text()
    assert "gift_card" in report and "data:image/png;base64," in report


def test_the_result_keeps_the_training_data_rules(project: Path, tmp_path: Path) -> None:
    """The checks of tests/unit/test_training_data.py, on the changed copy."""
    assert run(project, write_review(tmp_path / "review", review_data()), Fakes(project)) == 0
    domain = yaml.safe_load((project / "domain.yml").read_text())
    for name, variations in domain["responses"].items():
        languages = sorted(c["value"] for v in variations for c in v["condition"] if c["name"] == "language")
        assert languages == sorted(LANGUAGES) and all(v["text"] for v in variations), name
    trained: dict[str, str] = {}
    for lang in LANGUAGES:
        for path in sorted((project / "data" / "nlu" / lang).glob("*.yml")):
            for e in load_examples(path, lang):
                assert trained.setdefault(fold(e.text), e.intent) == e.intent, e.text
    for lang in LANGUAGES:
        held = load_examples(project / "tests" / "nlu" / f"heldout_{lang}.yml", lang)
        assert not [e.text for e in held if fold(e.text) in trained]


def test_rasa_reads_the_new_intent_response_and_rule(project: Path, tmp_path: Path) -> None:
    from rasa.shared.core.training_data.structures import RuleStep
    from rasa.shared.importers.importer import TrainingDataImporter

    assert run(project, write_review(tmp_path / "review", review_data()), Fakes(project)) == 0
    inputs = TrainingInputs.of_project(project)
    importer = TrainingDataImporter.load_from_config(
        str(inputs.config), str(inputs.domain), [str(p) for p in inputs.data]
    )
    domain = importer.get_domain()
    assert "gift_card" in domain.intents
    conditions = [v["condition"][0]["value"] for v in domain.responses["utter_gift_card"]]
    assert conditions == ["fr", "en"]
    nlu = importer.get_nlu_data()
    texts = {m.get("text") for m in nlu.intent_examples if m.get("intent") == "gift_card"}
    assert set(examples_of(project, "gift_card", "fr")) <= texts
    assert {m.get("text") for m in nlu.intent_examples if m.get("intent") == "order_status"} >= set(ADDED["en"])
    rules = [s for s in importer.get_stories().story_steps if isinstance(s, RuleStep)]
    by_rule = {s.block_name: [e.as_story_string() for e in s.events if e.as_story_string() != "..."] for s in rules}
    assert [steps for steps in by_rule.values() if "gift_card" in steps] == [["gift_card", "utter_gift_card"]]


def test_applying_twice_changes_nothing(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    review = write_review(tmp_path / "review", review_data())
    fakes = Fakes(project)
    assert run(project, review, fakes) == 0
    once, trainings = snapshot(project), len(fakes.trained)

    assert run(project, review, Fakes(project)) == 0

    assert snapshot(project) == once
    assert len(fakes.trained) == trainings
    assert "nothing to apply" in capsys.readouterr().out


def test_a_later_review_adds_only_its_new_examples_to_a_learned_intent(project: Path, tmp_path: Path) -> None:
    assert run(project, write_review(tmp_path / "one", review_data()), Fakes(project)) == 0
    more = ["carte cadeau pour noël", "ma carte cadeau ne passe pas", *GIFT_FR]
    later = write_review(tmp_path / "two", review_data(examples={"fr": more, "en": GIFT_EN}))
    assert run(project, later, Fakes(project)) == 0
    trained = examples_of(project, "gift_card", "fr") + examples_of(project, "gift_card", "fr", heldout=True)
    assert sorted(trained) == sorted(set(GIFT_FR + VOUCHER["fr"] + more))
    assert yaml.safe_load((project / "domain.yml").read_text())["intents"].count("gift_card") == 1


def one_payment_mistake(text: str, intent: str) -> str:
    return "complaint" if text == "j'ai été prélevé en double pour ma commande" else intent


def test_a_regression_beyond_the_tolerance_restores_every_file(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(project)
    fakes = Fakes(project, spoil=one_payment_mistake)

    assert run(project, write_review(tmp_path / "review", review_data()), fakes, tolerance=0.02) == 1

    assert snapshot(project) == before
    old, new = fakes.trained  # no model for the copy's inputs existed: the old one was trained first
    assert old.exists() and not new.exists()
    assert not list((project / "var" / "learn-backup").iterdir())
    out = capsys.readouterr().out
    assert re.search(r"payment_issue \(fr\): F1 1\.000 -> 0\.947", out)
    assert "complaint (fr)" in out  # its precision dropped too
    assert "payment_issue (en)" not in out
    assert "not promoted" in (tmp_path / "review" / "learn-apply-report.html").read_text()


def test_a_drop_within_the_tolerance_is_promoted(project: Path, tmp_path: Path) -> None:
    fakes = Fakes(project, spoil=one_payment_mistake)
    assert run(project, write_review(tmp_path / "review", review_data()), fakes, tolerance=0.1) == 0
    assert (project / "data" / "nlu" / "fr" / "gift_card.yml").exists()
    assert model_path(TrainingInputs.of_project(project), project / "models").exists()


def test_a_failed_validation_restores_every_file(project: Path, tmp_path: Path) -> None:
    before = snapshot(project)
    fakes = Fakes(project)
    fakes.validate = lambda project, added: ["The utterance 'utter_gift_card' is not used in any story or rule."]  # type: ignore[method-assign]
    assert run(project, write_review(tmp_path / "review", review_data()), fakes) == 2
    assert snapshot(project) == before
    assert len(fakes.trained) == 1  # the old model only


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"response": {"fr": RESPONSE["fr"], "en": ""}}, "write the en response"),
        ({"name": "Gift Card"}, "not a valid intent name"),
        ({"name": "payment_issue"}, "already an intent"),
        ({"examples": {"fr": [], "en": []}}, "3 new examples, at least 4 are needed"),  # the merged ones only
    ],
)
def test_a_review_a_trainer_must_fix_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object], message: str
) -> None:
    before = snapshot(project)
    fakes = Fakes(project)
    assert run(project, write_review(tmp_path / "review", review_data(**changes)), fakes) == 2
    assert message in capsys.readouterr().err
    assert snapshot(project) == before
    assert fakes.trained == []


def test_accept_all_accepts_pending_and_gives_a_missing_response_the_advisor_offer(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = review_data(action="pending", response={"fr": "", "en": ""})
    data["candidates"].append(  # type: ignore[attr-defined]
        {"id": "c04", "name": "tiny", "action": "pending", "size": 2, "examples": {"fr": ["a b c"], "en": []}}
    )
    assert run(project, write_review(tmp_path / "review", data), Fakes(project), accept_all=True) == 0
    responses = yaml.safe_load((project / "domain.yml").read_text())["responses"]["utter_gift_card"]
    assert [v["text"] for v in responses] == [apply.DEFAULT_RESPONSE["fr"], apply.DEFAULT_RESPONSE["en"]]
    out = capsys.readouterr().out
    assert "default that offers an advisor" in out
    assert "c04 skipped" in out  # a pending candidate with too few examples is left out, not fatal
    assert "tiny" not in yaml.safe_load((project / "domain.yml").read_text())["intents"]


def test_without_accept_all_pending_candidates_are_not_applied(project: Path, tmp_path: Path) -> None:
    before = snapshot(project)
    data = review_data(action="pending")
    data["candidates"] = [data["candidates"][0], data["candidates"][2]]  # type: ignore[index]
    data["additions"] = []
    assert run(project, write_review(tmp_path / "review", data), Fakes(project)) == 0
    assert snapshot(project) == before


def test_a_candidate_merged_into_an_existing_intent_becomes_an_addition(project: Path, tmp_path: Path) -> None:
    data = review_data()
    data["candidates"][1]["merge_into"] = "payment_issue"  # type: ignore[index]
    assert run(project, write_review(tmp_path / "review", data), Fakes(project)) == 0
    learned = project / "data" / "nlu" / "fr" / "learned_payment_issue.yml"
    assert [(e.intent, e.text) for e in load_examples(learned, "fr")] == [("payment_issue", t) for t in VOUCHER["fr"]]
    assert not set(VOUCHER["fr"]) & set(examples_of(project, "gift_card", "fr"))


def test_the_held_out_share_is_deterministic() -> None:
    texts = [f"message {i}" for i in range(10)]
    train, held = split_heldout(texts)
    assert len(held) == 2 and sorted(train + held) == sorted(texts)
    assert split_heldout(list(reversed(texts)))[1] == list(reversed(held))
    assert split_heldout(texts[:4]) == (texts[:4], [])
    assert len(split_heldout(texts[:5])[1]) == 1


def test_the_report_escapes_every_text(tmp_path: Path) -> None:
    examples = load_examples(ROOT / "tests" / "nlu" / "heldout_en.yml", "en")[:4]
    gold = [e.intent for e in examples]
    comparison = apply.compare(examples, gold, gold, set(), 0.02)
    path = tmp_path / "report.html"
    apply.write_report(path, comparison, tmp_path / "r.yml", "promoted", ["<b>f</b>"], ["<script>x</script>"], 0.02)
    page = path.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>f</b>" not in page
    assert page.count("<tr>") == 1 + len(set(gold)) + 2  # header, intents, two macro-F1 lines


def test_a_merge_into_a_pending_candidate_is_refused(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(project, write_review(tmp_path / "review", review_data(action="pending")), Fakes(project)) == 2
    assert "c02 is merged into c01, which is still pending" in capsys.readouterr().err
