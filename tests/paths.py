"""Where the project's files are, for tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")
NLU_DIR = ROOT / "data" / "nlu"
HELDOUT = {lang: ROOT / "tests" / "nlu" / f"heldout_{lang}.yml" for lang in LANGUAGES}
REQUIRED_INTENTS = [
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "order_status", "delivery_problem",
    "return_refund", "cancel_order", "payment_issue", "account_access", "store_info", "product_availability",
    "complaint", "request_human", "out_of_scope",
]  # fmt: skip
