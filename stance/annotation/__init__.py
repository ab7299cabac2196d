"""Active learning: pick the sentences worth labelling next, hand them to people as tasks, read their labels back."""
