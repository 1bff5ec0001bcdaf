"""Drivers for the trigger-word lab: repeated calls, in-place list updates and a model
built from seeded layers, returned as plain arrays."""

import numpy as np
import torch


def random_segments(ns, segment_len, Tx, n_draws):
    """n_draws successive calls of get_random_time_segment, as an (n_draws, 2) array."""
    return np.array([list(ns["get_random_time_segment"](segment_len, Tx)) for _ in range(n_draws)],
                    dtype=np.int64).reshape(n_draws, 2)


def overlap_table(ns, segments, previous_segments):
    """is_overlapping for every segment in `segments` against the same previous list."""
    previous = [tuple(int(v) for v in p) for p in previous_segments]
    return np.array([bool(ns["is_overlapping"](tuple(int(v) for v in s), list(previous)))
                     for s in segments])


def insert_clip_check(ns, background, audio_clip, previous_segments):
    background = np.asarray(background, dtype=float)
    original = background.copy()
    previous = [tuple(int(v) for v in p) for p in previous_segments]
    new_background, segment_time = ns["insert_audio_clip"](background, np.asarray(audio_clip, dtype=float), previous)
    return {"background": np.asarray(new_background, dtype=float),
            "segment_time": np.array([int(v) for v in segment_time]),
            "previous_segments": np.array([[int(v) for v in p] for p in previous], dtype=np.int64).reshape(-1, 2),
            "argument_unchanged": bool(np.array_equal(background, original))}


def training_example_check(ns, background, activates, negatives, Ty, full=True):
    x, y = ns["create_training_example"](np.asarray(background, dtype=float),
                                         [np.asarray(a, dtype=float) for a in activates],
                                         [np.asarray(n, dtype=float) for n in negatives], Ty)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if full:
        return {"x": x, "y": y}
    # compact summary for a public test with pinned values
    return {"y": y, "x_shape": np.array(x.shape), "x_max": float(x.max()),
            "x_column_sums": x.sum(axis=0)}


def model_forward(ns, x, n_conv, n_hidden):
    """Build a TriggerModel (seeded) for x of shape (batch, Tx, n_freq); eval-mode forward."""
    x = torch.tensor(x, dtype=torch.float32)
    model = ns["TriggerModel"](n_freq=x.shape[2], n_conv=n_conv, n_hidden=n_hidden)
    model.eval()
    with torch.no_grad():
        probs = model(x)
    return probs.detach()
