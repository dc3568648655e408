import shutil
from pathlib import Path

from bot.learn.model import TrainingInputs, model_path
from tests.paths import ROOT


def copy_project(target: Path) -> TrainingInputs:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "data", target / "data")
    return TrainingInputs.of_project(target)


def test_model_name_changes_with_training_data_only(tmp_path: Path) -> None:
    inputs = copy_project(tmp_path)
    first = model_path(inputs, tmp_path / "models")
    assert first == model_path(inputs, tmp_path / "models")
    # The demo back office is not a training input.
    (tmp_path / "data" / "backoffice" / "demo.json").write_text("{}")
    assert model_path(inputs, tmp_path / "models") == first
    rules = tmp_path / "data" / "rules.yml"
    rules.write_text(rules.read_text() + "\n# changed\n")
    assert model_path(inputs, tmp_path / "models") != first


def test_the_project_inputs_cover_config_domain_and_every_nlu_file() -> None:
    files = TrainingInputs.of_project(ROOT).files()
    assert ROOT / "config.yml" in files and ROOT / "domain.yml" in files
    assert set((ROOT / "data" / "nlu").rglob("*.yml")) <= set(files)


def test_a_clone_in_another_folder_finds_the_same_model(tmp_path: Path) -> None:
    clone = tmp_path / "elsewhere"
    clone.mkdir()
    inputs = copy_project(clone)
    assert inputs.fingerprint() == TrainingInputs.of_project(ROOT).fingerprint()
