import json
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


def test_defaults_compose_with_bundled_corpus_and_three_labels():
    cfg = _compose()
    assert list(cfg.data.labels) == ["conciliatory", "hardline", "neutral"]
    assert Path(cfg.data.inputs[0]).is_dir()
    assert cfg.model.name_or_path == "sentence-transformers/all-mpnet-base-v2"
    fast = _compose("experiment=minilm")
    assert fast.model.name_or_path == "sentence-transformers/all-MiniLM-L6-v2" and fast.trainer.freeze_layers == 0
    assert fast.trainer.learning_rate == 8e-5 and fast.trainer.batch_size == 32 and fast.name == "minilm"
    student = _compose("experiment=distill")
    assert student.model.name_or_path.endswith("MiniLM-L6-v2") and student.distill.teacher.endswith("latest/model")


def test_experiment_context_reads_the_sentence_before_at_the_rate_that_trains_with_it():
    base, context = _compose(), _compose("experiment=context")
    assert context.model.context == "previous" and context.model.context_tokens == 48 and base.model.context == "none"
    # at the default's 6e-5, two of five runs with context never left their start (docs/results.md)
    assert context.trainer.learning_rate == 4e-5 < base.trainer.learning_rate and context.name == "context"
    # the rest of the recipe is the default's, fitting the head first included (measured with it: docs/results.md)
    assert context.trainer.probe_epochs == base.trainer.probe_epochs > 0
    assert {k: v for k, v in context.trainer.items() if k != "learning_rate"} == {k: v for k, v in base.trainer.items() if k != "learning_rate"}
    assert context.data == base.data


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


def test_the_default_labels_are_three_way_and_experiment_binary_only_changes_the_label_set():
    base, binary = _compose(), _compose("experiment=binary")
    assert list(base.data.labels) == ["conciliatory", "hardline", "neutral"] and list(base.data.drop_labels) == []
    assert list(binary.data.labels) == ["conciliatory", "hardline"] and list(binary.data.drop_labels) == ["neutral"]
    assert list(binary.data.inputs) == list(base.data.inputs) and binary.trainer == base.trainer and binary.data.name != base.data.name


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


def test_override_typo_on_the_command_line_is_one_line_and_exit_status_2():
    out = subprocess.run([sys.executable, "-m", "stance.prepare", "trainer.epocs=3"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("stance: error: ") and "epocs" in lines[0] and "Traceback" not in out.stderr


def test_wheel_installed_outside_the_repo_runs_every_stage(tmp_path, tiny_model_dir):
    import shutil

    # build from a copy: setuptools writes build/ and *.egg-info next to the sources it builds
    source = tmp_path / "source"
    skipped = (".git", ".venv", "outputs", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", "processed")
    ignore = shutil.ignore_patterns(*skipped)
    shutil.copytree(ROOT, source, symlinks=True, ignore=ignore)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
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
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for script in ("stance-prepare", "stance-train", "stance-evaluate", "stance-predict"):
        assert script in entry_points
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    # the real CLI, from the unpacked wheel, in a folder with no configs or data: the bundled corpus is found
    prep = subprocess.run([sys.executable, "-m", "stance.prepare"], capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert prep.returncode == 0, prep.stderr[-2000:]
    stats = json.loads((work / "data" / "processed" / "diplomatic" / "stats.json").read_text())
    assert sum(s["sentences"] for s in stats["splits"].values()) > 2500
    # train, evaluate and predict through the same entry-point functions, still from the wheel
    code = f"""
import stance, json
assert stance.__file__.startswith({str(site)!r}), stance.__file__
from hydra import compose, initialize_config_dir
from stance.config import CONFIG_DIR
from stance.train import train
from stance.evaluate import evaluate
from stance.predict import predict
base = ["model.name_or_path={tiny_model_dir}", "debug=smoke", "eval.baselines=false"]
with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
    t = compose("stance", overrides=base)
    e = compose("stance", overrides=base)
    p = compose("stance", overrides=["debug=smoke", "predict.input=in.txt", "predict.output=out.jsonl"])
train(t)
evaluate(e)
open("in.txt", "w").write("We are ready to talk.\\n")
predict(p)
print(open("out.jsonl").read())
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=work, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert '"label"' in run.stdout
    assert (work / "outputs" / "debug" / "latest" / "model" / "model.safetensors").exists()
    assert not (work / "outputs" / "latest").exists(), "a smoke run never becomes the user's latest model"


def test_the_library_defaults_are_the_yaml_defaults():
    """One default per setting: each group's dataclass (what Python users get) equals what the YAML composes to."""
    from stance.config import GROUPS, options

    cfg = _compose()
    for group, kind in GROUPS.items():
        assert options(cfg, group) == kind(), f"configs/{group}/ and {kind.__module__}.{kind.__name__} disagree"


def test_every_yaml_key_is_a_field_of_the_schema_and_back():
    """No key lives in only one of the two places (a YAML-only key would be rejected; a schema-only key would be undocumented)."""
    import dataclasses

    import yaml

    from stance.config import GROUPS

    for group, kind in GROUPS.items():
        path = CONFIG_DIR / group / ("diplomatic.yaml" if group == "data" else "mpnet.yaml" if group == "model" else "default.yaml")
        keys = {k for k in yaml.safe_load(path.read_text()) if k != "defaults"}
        assert keys == {f.name for f in dataclasses.fields(kind)}, f"{path.name}: {keys ^ {f.name for f in dataclasses.fields(kind)}}"


def test_a_composed_group_becomes_its_dataclass_with_nothing_dropped():
    from stance.config import options
    from stance.modeling.fine_tuning import TrainOptions

    trainer = options(_compose("trainer.epochs=3", "trainer.device=cpu"), "trainer")
    assert isinstance(trainer, TrainOptions)
    assert (trainer.epochs, trainer.device) == (3.0, "cpu")


def test_dict_settings_take_a_dict_on_the_command_line_and_typos_still_fail():
    from stance.cli import dict_setting_overrides
    from stance.config import options

    argv = ["trainer.explicit_class_weights={conciliatory:1.0,hardline:2.0}", "data.synonyms={dove:conciliatory}", "trainer.epochs=3"]
    cfg = _compose(*dict_setting_overrides(argv))
    assert options(cfg, "trainer").explicit_class_weights == {"conciliatory": 1.0, "hardline": 2.0}
    assert options(cfg, "data").synonyms == {"dove": "conciliatory"}
    with pytest.raises(Exception, match="explicit_class_weight"):
        _compose(*dict_setting_overrides(["trainer.explicit_class_weight={hardline:2.0}"]))


@pytest.mark.parametrize(
    "override",
    [
        "trainer.epochs=0",
        "trainer.batch_size=0",
        "trainer.learning_rate=-1e-5",
        "trainer.warmup_ratio=1.5",
        "trainer.gradient_accumulation_steps=0",
        "trainer.freeze_layers=-1",
        "trainer.probe_epochs=-1",
        "eval.confidence_level=1.5",
        "eval.bootstrap_resamples=0",
        "eval.target_accuracy=0",
        "predict.batch_size=0",
        "predict.min_confidence=1.5",
        "distill.alpha=1.2",
        "distill.temperature=0",
        "distill.augment_copies=-1",
        "model.max_length=4",
        "trend.confidence_level=0",
    ],
)
def test_an_impossible_numeric_setting_is_refused_when_the_options_are_built_naming_its_key(override):
    from stance.config import options
    from stance.errors import StanceError

    key = override.split("=")[0]
    cfg = _compose(override)
    with pytest.raises(StanceError) as err:
        options(cfg, key.split(".")[0])
    line = str(err.value)
    assert line.startswith(f"{key}:") and f"set {key} to" in line and "\n" not in line


def test_the_library_refuses_an_impossible_min_confidence_too():
    from stance.errors import StanceError
    from stance.inference.classifier import StanceClassifier

    with pytest.raises(StanceError, match=r"min_confidence: 1\.5 is not allowed"):
        StanceClassifier(backend=None, tokenizer=None, labels=("conciliatory", "hardline"), min_confidence=1.5)
