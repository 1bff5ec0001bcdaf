"""Knowledge-tracing benchmark on public folds (``python -m recommender benchmark``)."""
