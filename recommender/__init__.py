"""Cairn's recommender: a library over PyTorch, pandas and numpy only.

It never imports Django, so an analyst can use it in a notebook on an exported
Parquet file; the Django-side glue (registry rows, tasks, serving) lives in ``lms``.
"""

__version__ = "0.1.0"
