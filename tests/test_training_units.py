import numpy as np
import pytest

from stance.errors import StanceError
from stance.modeling.fine_tuning import class_weight_vector


def test_balanced_weights_are_inverse_frequency():
    weights = class_weight_vector("balanced", ("a", "b"), np.array([0, 0, 0, 1]), {})
    assert weights == pytest.approx([4 / (2 * 3), 4 / (2 * 1)])


def test_explicit_weights_follow_label_order_and_need_every_label():
    assert list(class_weight_vector("explicit", ("a", "b"), np.array([0, 1]), {"b": 2.0, "a": 1.0})) == [1.0, 2.0]
    with pytest.raises(StanceError, match="no weight for label"):
        class_weight_vector("explicit", ("a", "b"), np.array([0, 1]), {"a": 1.0})


def test_no_weights_and_unknown_mode():
    assert class_weight_vector("none", ("a", "b"), np.array([0, 1]), {}) is None
    with pytest.raises(StanceError, match="trainer.class_weights"):
        class_weight_vector("inverse", ("a", "b"), np.array([0, 1]), {})


def test_length_grouped_training_still_evaluates_rows_in_length_order(tmp_path):
    import datasets
    import torch
    from transformers import TrainingArguments

    from stance.modeling.encoding import by_length
    from stance.modeling.fine_tuning import sorted_eval_trainer_class

    lengths = np.random.default_rng(0).integers(3, 60, size=300).tolist()
    rows = datasets.Dataset.from_dict({"input_ids": [[1] * n for n in lengths], "length": lengths})
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_eval_batch_size=64,
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        remove_unused_columns=False,
        use_cpu=True,
        report_to="none",
    )
    trainer = sorted_eval_trainer_class()(
        model=torch.nn.Linear(1, 1),
        args=args,
        eval_dataset=by_length(rows),
        data_collator=lambda batch: {"length": torch.tensor([row["length"] for row in batch])},
    )
    seen = torch.cat([batch["length"] for batch in trainer.get_eval_dataloader()]).tolist()
    assert seen == sorted(lengths)


def test_resume_takes_the_newest_checkpoint_that_was_written_completely(tmp_path):
    from stance.modeling.fine_tuning import last_checkpoint

    for step, state in ((2, '{"global_step": 2}'), (4, None), (6, '{"global_st')):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"weights")
        if state is not None:
            (folder / "trainer_state.json").write_text(state)
    assert last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-2"), "killed while saving: 4 has no state, 6 a cut-off one"
    assert last_checkpoint(tmp_path / "none") is None


def test_freezing_stops_gradients_below_the_top_layers_and_refuses_more_layers_than_the_encoder_has(tiny_model_dir):
    from transformers import AutoModelForSequenceClassification

    from stance.modeling.fine_tuning import freeze_lower_layers

    model = AutoModelForSequenceClassification.from_pretrained(str(tiny_model_dir), num_labels=2)
    freeze_lower_layers(model, embeddings=True, layers=1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any("embeddings" in n or ".layer.0." in n for n in trainable)
    assert any(".layer.1." in n for n in trainable) and any(n.startswith("classifier") for n in trainable)
    with pytest.raises(StanceError, match="cannot freeze 3 layers"):
        freeze_lower_layers(model, embeddings=False, layers=3)


def test_class_weights_change_the_loss_by_the_weight_of_each_gold_label():
    import torch

    from stance.modeling.fine_tuning import class_weighted_loss

    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.5]])
    gold = torch.tensor([0, 1, 1])
    outputs = type("Outputs", (), {"logits": logits})()
    per_row = torch.nn.functional.cross_entropy(logits, gold, reduction="none")
    plain = class_weighted_loss(np.array([1.0, 1.0]))(outputs, gold)
    weighted = class_weighted_loss(np.array([1.0, 3.0]))(outputs, gold)
    assert float(plain) == pytest.approx(float(per_row.mean()))
    assert float(weighted) == pytest.approx(float((per_row[0] + 3 * per_row[1] + 3 * per_row[2]) / 3))
    assert float(weighted) > float(plain)


def _tiny_dataset():
    import datasets

    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["conciliatory", "hardline"])})
    train = {"text": [f"We are ready to talk, round {i}." if i % 2 else f"We reject the ultimatum, round {i}." for i in range(16)]}
    train["label"] = [i % 2 == 0 for i in range(16)]
    validation = {"text": ["We are ready to meet.", "We will never accept this."], "label": [0, 1]}
    return datasets.DatasetDict({s: datasets.Dataset.from_dict(d, features=features) for s, d in (("train", train), ("validation", validation))})


def test_early_stopping_stops_after_the_patience_and_restores_the_best_epoch(tiny_model_dir, tmp_path, monkeypatch):
    from safetensors.torch import load_file

    import stance.modeling.fine_tuning as fine_tuning
    from stance.modeling.fine_tuning import TrainOptions, fine_tune
    from stance.modeling.loading import load_for_training

    scripted = iter([0.50, 0.90, 0.60, 0.40, 0.95, 0.95])  # validation macro-F1 of epochs 1, 2, 3, ...: epoch 2 is best
    monkeypatch.setattr(fine_tuning, "validation_metrics", lambda prediction: {"accuracy": 0.5, "macro_f1": next(scripted)})
    model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
    opts = TrainOptions(epochs=6, batch_size=8, learning_rate=1e-3, early_stopping_patience=2, report_to=[], freeze_embeddings=False, freeze_layers=0)
    outcome = fine_tune(_tiny_dataset(), model, tokenizer, ("conciliatory", "hardline"), tmp_path, opts)
    evaluated = [h["eval_macro_f1"] for h in outcome.history if "eval_macro_f1" in h]
    assert evaluated == [0.50, 0.90, 0.60, 0.40], "two epochs without a gain, then it stops (epochs 5 and 6 never run)"
    assert outcome.best_metric == 0.90
    best = load_file(str(tmp_path / "checkpoint-4" / "model.safetensors"))  # 2 steps an epoch: epoch 2 ends at step 4
    last = load_file(str(tmp_path / "checkpoint-8" / "model.safetensors"))
    state = outcome.model.state_dict()
    assert all(torch_equal(state[name], tensor) for name, tensor in best.items()), "the returned model is epoch 2's"
    assert not all(torch_equal(state[name], tensor) for name, tensor in last.items())


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a.cpu(), b.cpu()))


def test_device_setting_names_the_fix_when_a_node_has_fewer_gpus_than_processes(monkeypatch):
    import torch

    from stance.modeling.fine_tuning import resolve_device

    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    with pytest.raises(StanceError, match="no GPU is visible"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    with pytest.raises(StanceError, match=r"2 processes .* 1 GPU.*--nproc_per_node=1.*trainer.device=cpu"):
        resolve_device("auto")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "1")
    assert resolve_device("auto") == "cuda"
    with pytest.raises(StanceError, match="trainer.device"):
        resolve_device("gpu")


def test_mixed_precision_auto_uses_bf16_only_where_the_hardware_has_it(monkeypatch):
    import stance.modeling.fine_tuning as fine_tuning

    monkeypatch.setattr(fine_tuning, "cpu_has_native_bf16", lambda: True)
    assert fine_tuning._precision_flags("auto", "cpu") == {"bf16": True}
    monkeypatch.setattr(fine_tuning, "cpu_has_native_bf16", lambda: False)
    assert fine_tuning._precision_flags("auto", "cpu") == {}
    assert fine_tuning._precision_flags("no", "cpu") == {}
    with pytest.raises(StanceError, match="fp16 needs a GPU"):
        fine_tuning._precision_flags("fp16", "cpu")
    with pytest.raises(StanceError, match="trainer.mixed_precision"):
        fine_tuning._precision_flags("half", "cpu")


def test_training_stops_at_the_first_evaluation_that_learned_nothing(smoke_config, capsys, monkeypatch, tiny_model_dir, three_label_rows):
    """A stuck run ends after its first epoch instead of spending the rest of the schedule on the uniform answer."""
    import stance.modeling.fine_tuning as fine_tuning
    from stance.train import train

    monkeypatch.setattr(fine_tuning, "learned_nothing", lambda logits, gold: True)  # every validation pass looks stuck
    cfg = smoke_config(
        "debug_run=null",  # the smoke recipe, but judged as a real run (a debug run is not meant to learn)
        f"data.inputs=[{three_label_rows}]",
        f"model.name_or_path={tiny_model_dir}",
        "data.splits.train=0.5",
        "data.splits.validation=0.3",
        "data.splits.test=0.2",
        "trainer.max_steps=-1",
        "trainer.epochs=3",
    )
    try:
        train(cfg)
    except StanceError as err:  # the tiny model may or may not have learned anything in one epoch; publishing judges that
        assert "did not learn" in str(err)
    out = capsys.readouterr().out
    assert out.count("no better than one label for all") == 1, out
    assert "at epoch 1 the model gives every validation sentence nearly the same answer" in out


def test_a_stuck_model_is_told_from_one_that_answers_one_label_but_still_ranks():
    from stance.evaluation.metrics import learned_nothing, probability_spread

    gold = np.array([0] * 20 + [1] * 20 + [2] * 20)
    stuck = np.tile([0.0, 0.0, 1e-5], (60, 1))  # every sentence alike: the uniform answer of a run that never started
    ranks = np.column_stack([np.where(gold == 0, 1.5, 0.0), np.where(gold == 1, 1.5, 0.0), np.full(60, 2.0)])  # argmax 2, yet informative
    assert probability_spread(stuck) < 1e-4 and learned_nothing(stuck, gold)
    assert probability_spread(ranks) > 0.1 and not learned_nothing(ranks, gold)
    assert not learned_nothing(stuck[:20], gold[:20]), "one label in the gold: nothing to judge"
    assert not learned_nothing(stuck[::3], gold[::3]), "20 rows: too few to judge"


def _tokenised(tokenizer):
    from stance.modeling.fine_tuning import tokenize_splits

    return tokenize_splits(_tiny_dataset(), tokenizer, 32)["train"]


def test_probing_fits_the_head_alone_before_fine_tuning(tiny_model_dir):
    from transformers import DataCollatorWithPadding

    from stance.modeling.loading import load_for_training
    from stance.modeling.probing import probe_head

    model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    outcome = probe_head(model, _tokenised(tokenizer), DataCollatorWithPadding(tokenizer), epochs=20, seed=0)
    after = model.state_dict()
    moved = {name for name in before if not torch_equal(before[name], after[name])}
    assert moved and all(name.startswith("classifier.") for name in moved), "only the head is fitted; the encoder is left as it was"
    assert outcome.sentences == 16 and outcome.loss_after < outcome.loss_before
    assert model.training, "handed back in training mode, ready for fine-tuning"


def test_probing_refuses_a_head_that_reads_more_than_the_first_token(tiny_model_dir):
    import torch
    from transformers import DataCollatorWithPadding

    from stance.modeling.loading import load_for_training
    from stance.modeling.probing import probe_head

    class MeanPooling(torch.nn.Module):
        def __init__(self, size: int) -> None:
            super().__init__()
            self.out = torch.nn.Linear(size, 2)

        def forward(self, sequence):
            return self.out(sequence.mean(dim=1))

    class Model(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert, self.classifier = bert, MeanPooling(bert.config.hidden_size)

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            return self.classifier(self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state)

    model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
    with pytest.raises(StanceError, match="reads more than the first token") as error:  # an UnprobeableHead
        probe_head(Model(model.bert), _tokenised(tokenizer), DataCollatorWithPadding(tokenizer), epochs=1, seed=0)
    assert error.value.where == "trainer.probe_epochs"
    with pytest.raises(StanceError, match="no `classifier` head"):
        probe_head(model.bert, _tokenised(tokenizer), DataCollatorWithPadding(tokenizer), epochs=1, seed=0)


def test_fine_tuning_fits_the_head_first_when_probe_epochs_is_set(tiny_model_dir, tmp_path, monkeypatch, capsys):
    import stance.modeling.fine_tuning as fine_tuning
    from stance.modeling.fine_tuning import TrainOptions, fine_tune
    from stance.modeling.loading import load_for_training

    calls = []
    real = fine_tuning.probe_head

    def spy(model, train, collate, epochs, seed, dtype=None, device="cpu"):
        calls.append((epochs, len(train)))
        return real(model, train, collate, epochs, seed, dtype, device)

    monkeypatch.setattr(fine_tuning, "probe_head", spy)
    for probe_epochs in (0, 3):
        model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
        opts = TrainOptions(max_steps=1, batch_size=8, report_to=[], early_stopping_patience=0, freeze_layers=0, probe_epochs=probe_epochs)
        fine_tune(_tiny_dataset(), model, tokenizer, ("conciliatory", "hardline"), tmp_path / str(probe_epochs), opts)
    assert calls == [(3, 16)], "probing runs only when asked, on the whole training split"
    assert "fitted the classification head alone" in capsys.readouterr().out


def test_an_encoder_whose_head_cannot_be_probed_still_trains_and_says_so(tiny_model_dir, tmp_path, monkeypatch, capsys):
    import stance.modeling.fine_tuning as fine_tuning
    from stance.modeling.fine_tuning import TrainOptions, fine_tune
    from stance.modeling.loading import load_for_training
    from stance.modeling.probing import UnprobeableHead

    def unprobeable(*args, **kwargs):
        raise UnprobeableHead("the head of XLNetForSequenceClassification reads more than the first token", where="trainer.probe_epochs")

    monkeypatch.setattr(fine_tuning, "probe_head", unprobeable)
    model, tokenizer = load_for_training(str(tiny_model_dir), ("conciliatory", "hardline"))
    opts = TrainOptions(max_steps=1, batch_size=8, report_to=[], early_stopping_patience=0, freeze_layers=0, probe_epochs=5)
    outcome = fine_tune(_tiny_dataset(), model, tokenizer, ("conciliatory", "hardline"), tmp_path, opts)
    assert outcome.steps == 1
    assert "not fitting the head first: the head of XLNetForSequenceClassification reads more" in capsys.readouterr().out
