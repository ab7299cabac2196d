"""`stance-prepare`: labelled files and raw articles -> split DatasetDict on disk."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from stance.cli import run_hydra_app
from stance.config import options


def prepare(cfg: DictConfig) -> dict[str, Any]:
    """Prepare `cfg.data`; return the output folder and the statistics written to stats.json."""
    from stance.data.cleaning import removed_summary
    from stance.data.dataset import prepare_dataset

    result = prepare_dataset(options(cfg, "data"))
    stats = result.stats
    for split, s in stats["splits"].items():
        labels = ", ".join(f"{k} {v}" for k, v in s["labels"].items())
        print(f"{split:>11}: {s['sentences']:5d} sentences in {s['documents']:4d} documents ({labels})")
    if stats.get("train_only", {}).get("documents"):
        t = stats["train_only"]
        origins = ", ".join(t["origins"])
        print(f" train only: {t['sentences']} sentences in {t['documents']} documents of origin {origins}, all in the train split above")
    if stats.get("splits_from"):
        f = stats["splits_from"]
        print(
            f"     splits: {f['documents_kept']} documents kept their split from {f['file']}, {f['documents_placed_new']} placed anew, "
            f"{f['documents_listed_but_absent']} listed there but not in the inputs"
            + (f", {f['train_only_listed_elsewhere']} of a train-only origin moved to train" if f["train_only_listed_elsewhere"] else "")
        )
    if stats["dropped"]:
        print("    dropped: " + ", ".join(f"{k} {v}" for k, v in stats["dropped"].items()))
    if stats.get("article_cleaning"):
        print(f"    cleaned: {removed_summary(stats['article_cleaning'])} (raw articles)")
    if stats["conflicting_sentences"]:
        print(f"   conflicts: {stats['conflicting_sentences']} sentences had two labels and were dropped (see conflicts.csv)")
    print(f"saved to {result.path}")
    return {"path": str(result.path), "stats": stats}


main = run_hydra_app(prepare)

if __name__ == "__main__":
    main()
