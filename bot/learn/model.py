"""The trained Rasa model, cached by a hash of everything that goes into it.

Training takes about a minute; running and testing reuse ``models/passerelle-<hash>.tar.gz`` as long as
config.yml, domain.yml, the training data and the Rasa version are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path


def rasa_command_env(**extra: str) -> dict[str, str]:
    """The environment every Rasa command of the project runs in: this one, without telemetry, plus ``extra``."""
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **extra}


MODEL_PREFIX = "passerelle-"


@dataclass(frozen=True)
class TrainingInputs:
    """The files a model is trained from."""

    config: Path
    domain: Path
    data: tuple[Path, ...]

    @classmethod
    def of_project(cls, root: Path, config: Path | None = None) -> TrainingInputs:
        """The project's standard inputs: NLU files, rules and stories under data/."""
        return cls(
            config=config or root / "config.yml",
            domain=root / "domain.yml",
            data=(root / "data" / "nlu", root / "data" / "rules.yml", root / "data" / "stories.yml"),
        )

    def files(self) -> list[Path]:
        """Every input file, in a stable order."""
        found = [self.config, self.domain]
        for path in self.data:
            found.extend(sorted(path.rglob("*.yml")) if path.is_dir() else [path])
        return found

    def fingerprint(self) -> str:
        """A hash of the inputs' contents, their paths relative to each other, and the Rasa version.

        Paths count relative to the inputs' common folder, so a clone elsewhere finds the same cached model.
        """
        files = [path.resolve() for path in self.files()]
        base = Path(os.path.commonpath(files))
        digest = hashlib.sha256(f"rasa=={version('rasa')}".encode())
        for path in files:
            digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:16]


def model_path(inputs: TrainingInputs, models_dir: Path) -> Path:
    """Where the model for these inputs is (or will be) stored."""
    return models_dir / f"{MODEL_PREFIX}{inputs.fingerprint()}.tar.gz"


def train(
    inputs: TrainingInputs,
    models_dir: Path,
    force: bool = False,
    component_cache: Path | None = None,
    log: Path | None = None,
) -> Path:
    """Return the cached model for ``inputs``, training it first if there is none.

    ``component_cache`` replaces Rasa's cache of trained components (``.rasa/cache``), e.g. an empty folder to
    time a training from scratch. ``log`` takes Rasa's output (its warnings and progress bars) instead of the
    terminal; the end of it is shown when the training fails.

    Raises:
        RuntimeError: when ``rasa train`` fails.

    """
    target = model_path(inputs, models_dir)
    if target.exists() and not force:
        print(f"model up to date: {target}", file=sys.stderr)
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        str(inputs.config),
        "--domain",
        str(inputs.domain),
        "--data",
        *[str(p) for p in inputs.data],
        "--out",
        str(models_dir),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    print(f"training {target.name} (about 40 s){f', log in {log}' if log else ''} ...", file=sys.stderr)
    started = time.monotonic()
    env = rasa_command_env()
    if component_cache is not None:
        env["RASA_CACHE_DIRECTORY"] = str(component_cache)
    if log is None:
        result = subprocess.run(command, check=False, env=env)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as output:
            result = subprocess.run(command, check=False, env=env, stdout=output, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not target.exists():
        if log is not None:
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise RuntimeError(f"rasa train failed with exit code {result.returncode}{f' (see {log})' if log else ''}")
    print(f"trained {target.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return target
