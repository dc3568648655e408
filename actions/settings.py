"""The action server's settings, read once from the environment (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEMO_DATA = Path(__file__).resolve().parent.parent / "data" / "backoffice" / "demo.json"


@dataclass(frozen=True)
class ActionSettings:
    """Where the back office is and how long to wait for it.

    Attributes:
        backoffice_url: Base URL of the company's order API; empty means the bundled demo back office.
        backoffice_token: Bearer token sent to that API.
        backoffice_timeout: Seconds to wait for the back office before apologising to the customer.
        demo_data: JSON file of the demo back office.

    """

    backoffice_url: str = ""
    backoffice_token: str = ""
    backoffice_timeout: float = 3.0
    demo_data: Path = DEMO_DATA

    @classmethod
    def from_env(cls) -> ActionSettings:
        """Build the settings from ``BACKOFFICE_*`` environment variables."""
        env = os.environ
        return cls(
            backoffice_url=(env.get("BACKOFFICE_URL") or "").rstrip("/"),
            backoffice_token=env.get("BACKOFFICE_TOKEN") or "",
            backoffice_timeout=float(env.get("BACKOFFICE_TIMEOUT") or 3),
            demo_data=Path(env.get("BACKOFFICE_DEMO_DATA") or DEMO_DATA),
        )
