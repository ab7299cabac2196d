import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf.errors import ConfigAttributeError, ConfigKeyError

from stance.config import CONFIG_DIR, PRIMARY_CONFIG

ROOT = Path(__file__).resolve().parents[1]


def _compose(*overrides):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name=PRIMARY_CONFIG, overrides=list(overrides))


def test_defaults_compose_with_bundled_corpus_and_binary_labels():
    cfg = _compose()
    assert list(cfg.data.labels) == ["conciliatory", "hardline"]
    assert Path(cfg.data.inputs[0]).is_dir()
    assert cfg.model.name_or_path == "sentence-transformers/all-MiniLM-L6-v2"


def test_typo_in_override_fails_at_composition():
    with pytest.raises(Exception) as err:
        _compose("trainer.epocs=3")
    assert "epocs" in str(err.value) or isinstance(err.value.__cause__, (ConfigKeyError, ConfigAttributeError))


def test_typo_in_a_yaml_group_fails_at_composition(tmp_path):
    extra = tmp_path / "trainer"
    extra.mkdir()
    (extra / "typo.yaml").write_text("epocs: 3  # misspelled\n")
    with pytest.raises(Exception, match="epocs"):
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            compose(config_name=PRIMARY_CONFIG, overrides=[f"hydra.searchpath=[file://{tmp_path}]", "trainer=typo"])


def test_experiment_three_way_only_changes_what_it_names():
    base, three = _compose(), _compose("experiment=three_way")
    assert list(three.data.labels) == ["conciliatory", "hardline", "neutral"]
    assert three.trainer == base.trainer


def test_every_config_key_has_a_comment():
    missing = []
    for path in sorted(CONFIG_DIR.rglob("*.yaml")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#") or stripped.startswith("- "):
                continue
            if re.match(r"^[\w/@.]+:\s*$", stripped) or stripped in ("defaults:",):
                continue  # a section header: its children carry the comments
            if "#" not in line:
                missing.append(f"{path.relative_to(CONFIG_DIR)}:{number}: {stripped}")
    assert not missing, missing


def test_override_typo_on_the_command_line_is_one_line_and_non_zero():
    out = subprocess.run([sys.executable, "-m", "stance.prepare", "trainer.epocs=3"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode != 0
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "epocs" in lines[0] and "Traceback" not in out.stderr


def test_wheel_ships_configs_and_corpus(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("stance-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "stance/configs/stance.yaml" in names
    assert "stance/configs/trainer/default.yaml" in names
    assert any(n.startswith("stance/resources/corpus/") and n.endswith(".jsonl") for n in names)
    # the unpacked wheel, imported from outside the repo, composes the config and finds the corpus
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "from hydra import compose, initialize_config_dir\n"
        "from pathlib import Path\n"
        "import stance.config as c\n"
        f"assert str(c.CONFIG_DIR).startswith({str(site)!r}), c.CONFIG_DIR\n"
        "with initialize_config_dir(config_dir=str(c.CONFIG_DIR), version_base='1.3'):\n"
        "    cfg = compose(config_name='stance')\n"
        "print(len(list(Path(cfg.data.inputs[0]).glob('*.jsonl'))))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert int(run.stdout.strip()) >= 1
