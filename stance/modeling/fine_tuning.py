"""Fine-tune a sequence-classification encoder with the Hugging Face Trainer."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError, check_setting
from stance.evaluation.metrics import learned_nothing, probability_spread
from stance.modeling.distillation import IGNORE, Distillation, add_transfer_rows, distillation_loss, feature_loss, mean_pooled
from stance.modeling.encoding import by_length
from stance.modeling.probing import UnprobeableHead, probe_head


@dataclass
class TrainOptions:
    """Optimisation settings: the `trainer` config group. The defaults are the base-size recipe chosen by measurement (docs/results.md)."""

    epochs: float = 2.0
    max_steps: int = -1
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 6e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    gradient_accumulation_steps: int = 1
    group_by_length: bool = True
    class_weights: str = "none"
    explicit_class_weights: dict[str, float] = field(default_factory=dict)
    early_stopping_patience: int = 2
    mixed_precision: str = "auto"
    resume: bool = False
    keep_checkpoints: bool = False
    logging_steps: int = 25
    report_to: list[str] = field(default_factory=lambda: ["tensorboard"])
    num_threads: int | None = None
    freeze_embeddings: bool = True
    freeze_layers: int = 4
    probe_epochs: int = 5
    device: str = "auto"

    def __post_init__(self) -> None:
        """Reject an impossible value when the options are built, before any data is prepared."""
        check_setting(self.epochs > 0, "trainer.epochs", self.epochs, "a number of passes above 0, e.g. 2")
        check_setting(self.batch_size >= 1, "trainer.batch_size", self.batch_size, "a whole number from 1, e.g. 16")
        check_setting(self.eval_batch_size >= 1, "trainer.eval_batch_size", self.eval_batch_size, "a whole number from 1, e.g. 64")
        check_setting(self.learning_rate > 0, "trainer.learning_rate", self.learning_rate, "a rate above 0, e.g. 6e-5")
        check_setting(self.weight_decay >= 0, "trainer.weight_decay", self.weight_decay, "0 or more, e.g. 0.01")
        check_setting(0 <= self.warmup_ratio < 1, "trainer.warmup_ratio", self.warmup_ratio, "a share from 0 up to (not including) 1, e.g. 0.1")
        check_setting(self.gradient_accumulation_steps >= 1, "trainer.gradient_accumulation_steps", self.gradient_accumulation_steps, "1 or more")
        check_setting(self.early_stopping_patience >= 0, "trainer.early_stopping_patience", self.early_stopping_patience, "0 or more epochs")
        check_setting(self.logging_steps >= 1, "trainer.logging_steps", self.logging_steps, "1 or more steps")
        check_setting(self.freeze_layers >= 0, "trainer.freeze_layers", self.freeze_layers, "0 (train every layer) or more")
        check_setting(self.probe_epochs >= 0, "trainer.probe_epochs", self.probe_epochs, "0 (no probing) or more passes, e.g. 5")


@dataclass
class TrainOutcome:
    model: Any
    tokenizer: Any
    history: list[dict[str, Any]]
    best_metric: float | None
    steps: int
    train_seconds: float
    world_size: int = 1
    global_batch_size: int = 0
    resumed_from: str | None = None  # the checkpoint training continued from (trainer.resume)


class TrainingInterrupted(Exception):
    """Raised after Ctrl-C once a checkpoint has been written."""

    def __init__(self, checkpoint_dir: Path) -> None:
        self.checkpoint_dir = checkpoint_dir
        super().__init__(f"training interrupted; checkpoint saved in {checkpoint_dir}")


def freeze_lower_layers(model: Any, embeddings: bool, layers: int) -> None:
    """Stop gradients through the embeddings and the lowest `layers` encoder layers.

    Backpropagation then stops early: on a CPU a base-size encoder trains much faster for a small
    loss of accuracy, and the lower layers (surface features) are the ones that need tuning least.
    """
    import torch

    if not embeddings and not layers:
        return
    base = getattr(model, model.base_model_prefix, model)
    if embeddings or layers:
        stem = getattr(base, "embeddings", None) or model.get_input_embeddings()
        stem.requires_grad_(False)
    if not layers:
        return
    depth = getattr(model.config, "num_hidden_layers", None)
    stacks = [m for m in base.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == depth]
    if not stacks or layers > len(stacks[0]):
        raise StanceError(
            f"cannot freeze {layers} layers of this encoder ({depth} layers found)",
            where="trainer.freeze_layers",
            fix=f"use a number from 0 to {depth or 0}",
        )
    for layer in stacks[0][:layers]:
        layer.requires_grad_(False)


def class_weight_vector(mode: str, labels: tuple[str, ...], train_labels: np.ndarray, explicit: dict[str, float]) -> np.ndarray | None:
    """None, inverse-frequency ('balanced', as scikit-learn defines it) or user-given weights."""
    if mode == "none":
        return None
    if mode == "balanced":
        counts = np.bincount(train_labels, minlength=len(labels)).astype(float)
        return len(train_labels) / (len(labels) * np.maximum(counts, 1.0))
    if mode == "explicit":
        missing = [n for n in labels if n not in explicit]
        if missing:
            raise StanceError(
                f"no weight for label(s) {', '.join(missing)}",
                where="trainer.explicit_class_weights",
                fix="give one weight per label, e.g. trainer.explicit_class_weights={conciliatory:1.0,hardline:2.0}",
            )
        return np.array([float(explicit[n]) for n in labels])
    raise StanceError(f"unknown mode '{mode}'", where="trainer.class_weights", fix="use none, balanced or explicit")


def class_weighted_loss(weights: np.ndarray) -> Any:
    """The Trainer's loss with per-class weights: sum of weighted cross-entropy over the batch's (or accumulation's) item count."""

    def loss(outputs: Any, target: Any, num_items_in_batch: Any = None) -> Any:
        import torch

        weight = torch.as_tensor(weights, dtype=outputs.logits.dtype, device=outputs.logits.device)
        total = torch.nn.functional.cross_entropy(outputs.logits, target, weight=weight, reduction="sum")
        return total / (num_items_in_batch if num_items_in_batch is not None else target.numel())

    return loss


def validation_metrics(prediction: Any) -> dict[str, float]:
    """Accuracy, macro-F1, the probabilities' spread and whether the model learned nothing, from one validation pass.

    The best epoch follows macro-F1.
    """
    from sklearn.metrics import accuracy_score, f1_score

    logits, gold = prediction
    pred = np.asarray(logits).argmax(axis=-1)
    return {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, average="macro"),
        "probability_spread": probability_spread(logits),  # ~0 when every sentence gets the same answer (a stuck run)
        "learned_nothing": float(learned_nothing(logits, gold)),  # the rule publishing applies too; 1 stops training (StopWhenStuck)
    }


def tokenize_splits(dataset: Any, tokenizer: Any, max_length: int, context_tokens: int = 0) -> Any:
    """Token ids of every split as `stance.modeling.encoding.encode` makes them (with the previous sentence when `context_tokens`)."""
    from stance.modeling.encoding import encode as encode_texts

    def encode(batch: dict[str, list[Any]]) -> dict[str, Any]:
        previous = batch.get("previous") if context_tokens else None
        if context_tokens and previous is None:
            previous = [""] * len(batch["text"])
        enc = encode_texts(tokenizer, batch["text"], max_length, previous, context_tokens)
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    keep = {"label"}
    return dataset.map(
        encode,
        batched=True,
        remove_columns=[c for c in next(iter(dataset.values())).column_names if c not in keep],
        desc="tokenising",
    ).rename_column("label", "labels")


def transfer_split(distill: Distillation, with_previous: bool) -> Any:
    """The teacher-labelled transfer sentences as a `transfer` split (gold label IGNORE); with `with_previous`, each one's sentence before."""
    from datasets import Dataset, DatasetDict

    columns: dict[str, list[Any]] = {"text": list(distill.transfer_texts), "label": [IGNORE] * len(distill.transfer_texts)}
    if with_previous:
        columns["previous"] = list(distill.transfer_previous) or [""] * len(distill.transfer_texts)
    return DatasetDict({"transfer": Dataset.from_dict(columns)})


def last_checkpoint(checkpoint_dir: Path) -> str | None:
    """The newest checkpoint that was written completely, or None.

    The Trainer writes `trainer_state.json` last; a run killed while saving leaves a newer folder
    without it (or with it cut short), which resuming from would crash on.
    """
    import json
    import re

    if not checkpoint_dir.is_dir():
        return None
    complete = []
    for folder in checkpoint_dir.glob("checkpoint-*"):
        match = re.fullmatch(r"checkpoint-(\d+)", folder.name)
        try:
            json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if match and any((folder / f).exists() for f in ("model.safetensors", "pytorch_model.bin")):
            complete.append((int(match.group(1)), folder))
    return str(max(complete)[1]) if complete else None


def cpu_has_native_bf16() -> bool:
    """True on CPUs that multiply bfloat16 natively (AMX or AVX512-BF16): there bf16 mixed precision trains much faster (docs/results.md)."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def _precision_flags(mode: str, device: str) -> dict[str, bool]:
    """Trainer flags for `trainer.mixed_precision`: auto is bf16 where the hardware has it (a recent GPU, or a CPU with AMX/AVX512-BF16)."""
    import torch

    if mode == "no":
        return {}
    cuda = device == "cuda"
    if mode == "auto":
        if cuda:
            return {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}
        return {"bf16": True} if cpu_has_native_bf16() else {}
    if mode == "bf16":
        return {"bf16": True}
    if mode == "fp16":
        if not cuda:
            raise StanceError("fp16 needs a GPU and training runs on the CPU", where="trainer.mixed_precision", fix="use auto, bf16 or no on CPU")
        return {"fp16": True}
    raise StanceError(f"unknown value '{mode}'", where="trainer.mixed_precision", fix="use auto, no, bf16 or fp16")


def resolve_device(device: str) -> str:
    """'cuda' or 'cpu' for `trainer.device` (auto: a GPU when there is one); one line when the choice cannot work.

    Under torchrun every process of a node needs a GPU of its own: NCCL refuses two ranks on one
    device ("Duplicate GPU detected"), so more processes than GPUs is refused here, before training.
    """
    import torch

    if device not in ("auto", "cpu", "cuda"):
        raise StanceError(f"unknown device '{device}'", where="trainer.device", fix="use auto, cpu or cuda")
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device == "cpu" or (device == "auto" and not gpus):
        return "cpu"
    if not gpus:
        raise StanceError("trainer.device=cuda but no GPU is visible", where="trainer.device", fix="use trainer.device=auto or cpu on this machine")
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if local > gpus:
        raise StanceError(
            f"{local} processes were started on this node but it has {gpus} GPU(s); each process needs a GPU of its own",
            where="trainer.device",
            fix=f"start at most {gpus} process(es) per node (torchrun --nproc_per_node={gpus}), or train on the CPU with trainer.device=cpu",
        )
    return "cuda"


def fine_tune(
    dataset: Any,
    model: Any,
    tokenizer: Any,
    labels: tuple[str, ...],
    checkpoint_dir: Path,
    opts: TrainOptions,
    *,
    max_length: int = 128,
    context_tokens: int = 0,
    seed: int = 42,
    distill: Distillation | None = None,
    stop_when_stuck: bool = True,
) -> TrainOutcome:
    """Train on `dataset['train']`, select the best epoch on validation macro-F1, return the model.

    Checkpoints go to `checkpoint_dir` every epoch so that a killed run can resume from it
    (`opts.resume`). Ctrl-C writes a checkpoint and raises `TrainingInterrupted`. With `distill`,
    the student also learns the teacher's softened probabilities, on the train split and on the
    transfer sentences. With `opts.probe_epochs`, the classification head is first fitted alone on the
    frozen encoder's features (LP-FT, `stance.modeling.probing`). With `stop_when_stuck`, a validation pass that shows the model learned nothing
    (`learned_nothing`) ends training; debug runs, which are not meant to learn, turn it off.
    """
    import time

    import torch
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        TrainerCallback,
        TrainingArguments,
        set_seed,
    )

    if opts.num_threads:
        torch.set_num_threads(opts.num_threads)
    device = resolve_device(opts.device)
    set_seed(seed)
    freeze_lower_layers(model, opts.freeze_embeddings, opts.freeze_layers)
    encoded = tokenize_splits(dataset, tokenizer, max_length, context_tokens)
    if distill is not None:
        transfer = tokenize_splits(transfer_split(distill, with_previous=context_tokens > 0), tokenizer, max_length, context_tokens)
        encoded["train"] = add_transfer_rows(encoded["train"], transfer["transfer"], distill)
        if distill.feature_weight > 0:
            # trained with the student and dropped before it is returned: the saved model stays a plain classifier
            model.stance_feature_projection = torch.nn.Linear(model.config.hidden_size, distill.feature_size)
    has_validation = "validation" in encoded and len(encoded["validation"]) > 0
    resume_from = last_checkpoint(checkpoint_dir) if opts.resume else None
    if opts.resume and resume_from is None:
        raise StanceError("no checkpoint to resume from", where=str(checkpoint_dir), fix="run again without trainer.resume=true")
    started = time.perf_counter()
    precision = _precision_flags(opts.mixed_precision, device)
    if opts.probe_epochs and resume_from is None:  # a resumed run takes its head from the checkpoint
        dtype = torch.bfloat16 if precision.get("bf16") else torch.float16 if precision.get("fp16") else None
        try:
            probe = probe_head(model, encoded["train"], DataCollatorWithPadding(tokenizer), opts.probe_epochs, seed, dtype, device)
            print(
                f"fitted the classification head alone on the frozen encoder's features of {probe.sentences} sentences "
                f"({opts.probe_epochs} passes, loss {probe.loss_before:.3f} -> {probe.loss_after:.3f}, {probe.seconds:.0f} s); now fine-tuning",
                flush=True,
            )
        except UnprobeableHead as error:  # any encoder must train: this one is fine-tuned from its random head, as before probing existed
            print(f"stance: note: not fitting the head first: {error.message} ({error.where}); fine-tuning it from its random start", flush=True)
    weights = class_weight_vector(opts.class_weights, labels, np.asarray(list(dataset["train"]["label"])), opts.explicit_class_weights)

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    args = TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=opts.epochs,
        max_steps=opts.max_steps,
        per_device_train_batch_size=opts.batch_size,
        per_device_eval_batch_size=opts.eval_batch_size,
        learning_rate=opts.learning_rate,
        weight_decay=opts.weight_decay,
        warmup_steps=opts.warmup_ratio,  # transformers 5 reads a warmup_steps below 1 as a share of the steps (warmup_ratio is deprecated)
        gradient_accumulation_steps=opts.gradient_accumulation_steps,
        train_sampling_strategy="group_by_length" if opts.group_by_length else "random",
        length_column_name="length",
        eval_strategy="epoch" if has_validation else "no",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=has_validation,
        metric_for_best_model="macro_f1" if has_validation else None,
        greater_is_better=True,
        logging_strategy="steps",
        logging_steps=opts.logging_steps,
        report_to=list(opts.report_to) or "none",
        seed=seed,
        data_seed=seed,
        use_cpu=device == "cpu",
        average_tokens_across_devices=False,
        ddp_backend="gloo" if distributed and device == "cpu" else None,
        dataloader_num_workers=0,
        disable_tqdm=not os.isatty(2),
        save_only_model=False,
        **precision,
    )

    interrupted = {"flag": False}

    class StopOnInterrupt(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if interrupted["flag"]:
                control.should_save = True
                control.should_training_stop = True
            return control

    class StopWhenStuck(TrainerCallback):
        """End training at a validation pass that shows the model learned nothing (`learned_nothing`).

        An unlucky start can leave fine-tuning at the uniform answer for good (measured: a whole run at
        loss 1.097, log 3 being 1.099); the remaining epochs would not change it, and publishing
        refuses such a model anyway (`stance.runs.publish.refuse_untrained`).
        """

        def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kwargs: Any) -> Any:
            if (metrics or {}).get("eval_learned_nothing"):
                print(
                    f"stance: at epoch {state.epoch:g} the model gives every validation sentence nearly the same answer, "
                    f"no better than one label for all (macro-F1 {metrics['eval_macro_f1']:.3f}): stopping",
                    flush=True,
                )
                control.should_training_stop = True
            return control

    callbacks: list[Any] = [StopOnInterrupt()]
    if has_validation and stop_when_stuck:
        callbacks.append(StopWhenStuck())
    if has_validation and opts.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=opts.early_stopping_patience))

    trainer = sorted_eval_trainer_class(distill, weights)(
        model=model,
        args=args,
        train_dataset=encoded["train"],
        eval_dataset=by_length(encoded["validation"]) if has_validation else None,
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        compute_metrics=validation_metrics,
        compute_loss_func=class_weighted_loss(weights) if weights is not None and distill is None else None,
        callbacks=callbacks,
    )

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted["flag"]:
            raise KeyboardInterrupt
        interrupted["flag"] = True
        print("\nstance: interrupt received; saving a checkpoint after this step (Ctrl-C again to abort)", flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint) if _main_thread() else None
    try:
        trainer.train(resume_from_checkpoint=resume_from)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted["flag"]:
        raise TrainingInterrupted(checkpoint_dir)
    elapsed = time.perf_counter() - started
    # Mixed precision wraps the model's forward in bf16 autocast (accelerate's hook), and the wrapper outlives
    # training: left on, calibration and every report after training would score in bf16 while the saved model is
    # served in fp32 (on the default, 2 of 447 dev labels differed between stance-train's report and the saved
    # model). From here on the model is scored as it is saved.
    model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    if hasattr(model, "stance_feature_projection"):
        del model.stance_feature_projection
    return TrainOutcome(
        model=model,
        tokenizer=tokenizer,
        history=[dict(entry) for entry in trainer.state.log_history],
        best_metric=trainer.state.best_metric,
        steps=trainer.state.global_step,
        train_seconds=elapsed,
        world_size=args.world_size,
        global_batch_size=args.per_device_train_batch_size * args.world_size * args.gradient_accumulation_steps,
        resumed_from=resume_from,
    )


def sorted_eval_trainer_class(distill: Distillation | None = None, weights: np.ndarray | None = None) -> type:
    """A `transformers.Trainer` subclass to instantiate: `SortedEvalTrainer`, or with `distill` its `DistillingTrainer` subclass.

    Returned as a class (built on call) so that importing this module does not import transformers.
    `weights` are the class weights of the distillation trainer's gold-label term.
    """
    import torch
    from torch.utils.data import SequentialSampler
    from transformers import Trainer

    class SortedEvalTrainer(Trainer):
        """Evaluates rows in the order given (our validation split is sorted by length).

        With length-grouped training, the stock Trainer also draws evaluation rows through a
        LengthGroupedSampler, whose random megabatches undo the sort: on a small validation split
        each batch of 64 is a random sample padded to its longest row, twice the compute.
        """

        def _get_eval_sampler(self, eval_dataset: Any) -> Any:
            # with several processes, accelerate shards this sequence of batches between them
            return SequentialSampler(eval_dataset) if eval_dataset is not None else None

    if distill is None:
        return SortedEvalTrainer

    class DistillingTrainer(SortedEvalTrainer):
        """Passes each batch's teacher logits to the distillation loss (validation rows have none: plain cross-entropy)."""

        def _set_signature_columns_if_needed(self) -> None:
            super()._set_signature_columns_if_needed()
            for column in ("teacher_logits", "teacher_features"):
                if column not in self._signature_columns:
                    self._signature_columns.append(column)

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None) -> Any:
            inputs = dict(inputs)
            teacher = inputs.pop("teacher_logits", None)
            features = inputs.pop("teacher_features", None)
            gold = inputs.pop("labels")
            outputs = model(**inputs, output_hidden_states=features is not None)
            weight = None if weights is None else torch.as_tensor(weights, dtype=outputs.logits.dtype, device=outputs.logits.device)
            if teacher is None:
                loss = torch.nn.functional.cross_entropy(outputs.logits, gold, weight=weight)
            else:
                loss = distillation_loss(outputs.logits, gold, teacher, distill.alpha, distill.temperature, weight)
            if features is not None:
                pooled = mean_pooled(outputs.hidden_states[-1], inputs["attention_mask"])
                projection = getattr(model, "module", model).stance_feature_projection
                loss = loss + distill.feature_weight * feature_loss(pooled, features, projection)
            return (loss, outputs) if return_outputs else loss

    return DistillingTrainer


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
