"""Drivers for the RNN step-by-step lab: each runs one learner function and returns
only the values it is responsible for (the caches hold the parameters, which would
make comparisons noisy). Backward drivers build their caches with the standard
forward formulas so a wrong forward pass does not hide a correct backward pass."""

import numpy as np


def _rnn_caches(x, a0, parameters):
    caches = []
    a_prev = a0
    for t in range(x.shape[2]):
        xt = x[:, :, t]
        a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
        caches.append((a_next, a_prev, xt, parameters))
        a_prev = a_next
    return caches


def rnn_cell_forward_outputs(ns, xt, a_prev, parameters):
    a_next, yt_pred, cache = ns["rnn_cell_forward"](xt, a_prev, parameters)
    return {"a_next": a_next, "yt_pred": yt_pred}


def rnn_forward_outputs(ns, x, a0, parameters):
    a, y_pred, caches = ns["rnn_forward"](x, a0, parameters)
    return {"a": a, "y_pred": y_pred, "n_caches": len(caches[0])}


def lstm_cell_forward_outputs(ns, xt, a_prev, c_prev, parameters):
    a_next, c_next, yt_pred, cache = ns["lstm_cell_forward"](xt, a_prev, c_prev, parameters)
    _, _, _, _, ft, it, cct, ot = cache[:8]
    return {"a_next": a_next, "c_next": c_next, "yt_pred": yt_pred,
            "ft": ft, "it": it, "cct": cct, "ot": ot}


def lstm_forward_outputs(ns, x, a0, parameters):
    a, y, c, caches = ns["lstm_forward"](x, a0, parameters)
    return {"a": a, "y": y, "c": c, "n_caches": len(caches[0])}


def rnn_cell_backward_outputs(ns, xt, a_prev, parameters, da_next):
    cache = _rnn_caches(xt[:, :, None], a_prev, parameters)[0]
    return ns["rnn_cell_backward"](da_next, cache)


def rnn_backward_outputs(ns, x, a0, parameters, da):
    caches = (_rnn_caches(x, a0, parameters), x)
    return ns["rnn_backward"](da, caches)
