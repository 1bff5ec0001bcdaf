"""Reading events: the canonical export frame (``docs/events.md``; ``export_events
--format parquet``) from a DataFrame, Parquet or CSV file, normalised and sorted
(:func:`load_events`); timestamps as seconds (:func:`time_seconds`); payloads as dicts
(:func:`parse_payload`). ``recommender.data`` turns the frame into sequences."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("learner_id", "time", "verb", "activity", "payload")


def load_events(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read events (DataFrame, ``.parquet`` or ``.csv``) into a normalised frame.

    ``time`` becomes a UTC timestamp, ``learner_id`` int64, ``activity`` str or None;
    rows are sorted by learner then time (stable: ties keep their input order).
    Raises ``ValueError`` naming missing columns or an unknown file type.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no events file at {path}")
        suffixes = "".join(path.suffixes).lower()
        if ".parquet" in suffixes or ".pq" in suffixes:
            df = pd.read_parquet(path)
        elif ".csv" in suffixes:
            df = pd.read_csv(path)
        else:
            raise ValueError(f"{path}: expected a .parquet or .csv events file")
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"events are missing column(s) {missing}; the canonical export has {REQUIRED_COLUMNS}"
        )
    if pd.api.types.is_string_dtype(df["time"]) or df["time"].dtype == object:
        df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
    else:
        df["time"] = pd.to_datetime(df["time"], utc=True)
    df["learner_id"] = df["learner_id"].astype("int64")
    if "learner_key" in df.columns:  # the id in an imported data set: text (a CSV reads "78276" as a number)
        keys = df["learner_key"].astype(object)
        df["learner_key"] = keys.map({k: _key_text(k) for k in keys.dropna().unique()}).astype(object)
        df["learner_key"] = df["learner_key"].where(df["learner_key"].notna(), None)
    df["activity"] = df["activity"].astype(object).where(df["activity"].notna(), None)
    df["verb"] = df["verb"].astype(str)
    df = df.sort_values(["learner_id", "time"], kind="stable").reset_index(drop=True)
    return df


def _key_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def time_seconds(times: pd.Series) -> np.ndarray:
    """UTC timestamps -> float64 seconds since the Unix epoch."""
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    return times.array.as_unit("us").asi8 / 1e6  # the .dt route costs 5x as much on 200 events


def parse_payload(payload: object) -> dict:
    """A payload as a dict: JSON text is parsed; anything unreadable is ``{}``."""
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, str | bytes) and payload:
        try:
            value = json.loads(payload)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}
