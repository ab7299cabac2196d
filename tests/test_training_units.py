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

    from stance.modeling.fine_tuning import by_length, sorted_eval_trainer_class

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
