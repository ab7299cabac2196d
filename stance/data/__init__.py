"""Reading inputs, cleaning, sentence segmentation, labels, grouped splits, the prepared DatasetDict and the bundled corpus."""
