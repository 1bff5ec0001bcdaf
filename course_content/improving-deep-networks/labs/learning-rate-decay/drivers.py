"""Helpers for tests that need more than one call into the notebook."""
import numpy as np


def rates_for_epochs(ns, function, epochs, **kwargs):
    """Call update_lr or schedule_lr_decay for several epoch numbers; return the rates."""
    return np.array([ns[function](epoch_num=int(e), **kwargs) for e in epochs])
