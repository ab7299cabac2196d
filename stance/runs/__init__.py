"""A training run end to end (train_model), its folder, summary, model card and provenance; atomic writes, aggregation, tracking."""
