import math

import numpy as np

from course_content.labkit import Mistake, Test


# ----------------------------------------------------------------------------- inputs
def make_blobs(m, rng):
    Y = (rng.random((1, m)) < 0.5).astype(float)
    centres = np.where(Y > 0, 1.0, -1.0) * np.array([[1.0], [0.5]])
    return rng.standard_normal((2, m)) + centres, Y


_TRAIN_X, _TRAIN_Y = make_blobs(200, np.random.default_rng(5))


def inverse_inputs(rng):
    return {"learning_rate0": float(rng.uniform(0.01, 1.0)), "epoch_num": int(rng.integers(0, 500)),
            "decay_rate": float(rng.uniform(0.01, 2.0))}


def scheduled_inputs(rng):
    interval = int(rng.integers(2, 50))
    return {"learning_rate0": float(rng.uniform(0.01, 1.0)),
            "epoch_num": int(rng.integers(interval, 20 * interval)),
            "decay_rate": float(rng.uniform(0.01, 2.0)), "time_interval": interval}


def scheduled_sweep_inputs(rng):
    interval = int(rng.integers(3, 20))
    return {"function": "schedule_lr_decay", "epochs": np.arange(0, 6 * interval),
            "learning_rate0": float(rng.uniform(0.01, 1.0)),
            "decay_rate": float(rng.uniform(0.1, 2.0)), "time_interval": interval}


def schedule_inputs(method):
    def inputs(rng):
        return {"learning_rate0": float(rng.uniform(0.01, 1.0)),
                "num_epochs": int(rng.integers(5, 60)),
                "decay_rate": float(rng.uniform(0.05, 2.0)), "method": method,
                "time_interval": int(rng.integers(2, 10))}
    return inputs


def training_inputs(method):
    def inputs(rng):
        X, Y = make_blobs(int(rng.integers(30, 80)), rng)
        return {"X": X, "Y": Y, "learning_rate0": float(rng.uniform(0.5, 3.0)),
                "num_epochs": int(rng.integers(5, 25)), "decay_rate": float(rng.uniform(0.1, 1.0)),
                "method": method, "time_interval": int(rng.integers(2, 6)),
                "mini_batch_size": int(rng.choice([4, 8, 16]))}
    return inputs


# ----------------------------------------------------------------------------- tests
TESTS = [
    Test("inverse-time decay, epochs 0 to 3", call="rates_for_epochs",
         inputs={"function": "update_lr", "epochs": np.arange(4), "learning_rate0": 0.2,
                 "decay_rate": 1.0},
         public=True, expected=np.array([0.2, 0.1, 0.06666667, 0.05])),
    Test("inverse-time decay, one epoch", call="update_lr",
         inputs={"learning_rate0": 0.5, "epoch_num": 2, "decay_rate": 0.3}, public=True,
         expected=0.3125),
    Test("inverse-time decay, random values", call="update_lr", inputs=inverse_inputs),
    Test("scheduled decay at epochs 0, 99, 100, 250", call="rates_for_epochs",
         inputs={"function": "schedule_lr_decay", "epochs": np.array([0, 99, 100, 250]),
                 "learning_rate0": 0.5, "decay_rate": 0.3, "time_interval": 100},
         public=True, expected=np.array([0.5, 0.5, 0.38461538, 0.3125])),
    Test("scheduled decay, random values", call="schedule_lr_decay", inputs=scheduled_inputs),
    Test("scheduled decay over several intervals", call="rates_for_epochs",
         inputs=scheduled_sweep_inputs),
    Test("schedule of 5 epochs, inverse", call="learning_rate_schedule",
         inputs={"learning_rate0": 1.0, "num_epochs": 5, "decay_rate": 0.5, "method": "inverse",
                 "time_interval": 2},
         public=True, expected=np.array([1.0, 0.66666667, 0.5, 0.4, 0.33333333])),
    Test("schedule of 5 epochs, scheduled every 2", call="learning_rate_schedule",
         inputs={"learning_rate0": 1.0, "num_epochs": 5, "decay_rate": 0.5,
                 "method": "scheduled", "time_interval": 2},
         public=True, expected=np.array([1.0, 1.0, 0.66666667, 0.66666667, 0.5])),
    Test("constant schedule, random values", call="learning_rate_schedule",
         inputs=schedule_inputs("constant")),
    Test("inverse schedule, random values", call="learning_rate_schedule",
         inputs=schedule_inputs("inverse")),
    Test("scheduled schedule, random values", call="learning_rate_schedule",
         inputs=schedule_inputs("scheduled")),
    Test("training with inverse-time decay", call="train_with_decay",
         inputs={"X": _TRAIN_X, "Y": _TRAIN_Y, "learning_rate0": 3.0, "num_epochs": 8,
                 "decay_rate": 0.3, "method": "inverse", "time_interval": 10,
                 "mini_batch_size": 8},
         public=True, expected={"w": np.array([[2.76216834], [1.16282742]]), "b": 0.26898298,
                   "costs": np.array([0.24407063, 0.22770892, 0.22825106, 0.22605644,
                                      0.22722993, 0.22576855, 0.22639353, 0.22572582]),
                   "learning_rates": np.array([3.0, 2.30769231, 1.875, 1.57894737,
                                               1.36363636, 1.2, 1.07142857, 0.96774194])}),
    Test("training with scheduled decay", call="train_with_decay",
         inputs={"X": _TRAIN_X, "Y": _TRAIN_Y, "learning_rate0": 3.0, "num_epochs": 8,
                 "decay_rate": 1.0, "method": "scheduled", "time_interval": 3,
                 "mini_batch_size": 8},
         public=True, expected={"w": np.array([[2.7626218], [1.15764966]]), "b": 0.27027228,
                   "costs": np.array([0.24407063, 0.23293558, 0.23317957, 0.22597844,
                                      0.22747991, 0.22581998, 0.22629414, 0.22573791]),
                   "learning_rates": np.array([3.0, 3.0, 3.0, 1.5, 1.5, 1.5, 1.0, 1.0])}),
    Test("training with inverse-time decay, random data", call="train_with_decay",
         inputs=training_inputs("inverse"), seed=4),
    Test("training with scheduled decay, random data", call="train_with_decay",
         inputs=training_inputs("scheduled"), seed=6),
    Test("training with a constant rate, random data", call="train_with_decay",
         inputs=training_inputs("constant"), seed=8),
]


# ----------------------------------------------------------------------------- mistakes
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _train(per_step=False, shuffle_once=False):
    def impl(X, Y, learning_rate0=3.0, num_epochs=100, decay_rate=0.3, method="inverse",
             time_interval=10, mini_batch_size=8):
        def rate(k):
            if method == "constant":
                return float(learning_rate0)
            if method == "inverse":
                return learning_rate0 / (1 + decay_rate * k)
            return learning_rate0 / (1 + decay_rate * math.floor(k / time_interval))

        m = X.shape[1]
        w, b, costs, step = np.zeros((X.shape[0], 1)), 0.0, [], 0
        rates = np.array([rate(e) for e in range(num_epochs)])
        perm = np.random.permutation(m)
        for epoch in range(num_epochs):
            if not shuffle_once and epoch > 0:
                perm = np.random.permutation(m)
            SX, SY = X[:, perm], Y[:, perm]
            for k in range(0, m, mini_batch_size):
                xb, yb = SX[:, k:k + mini_batch_size], SY[:, k:k + mini_batch_size]
                dZ = _sigmoid(w.T @ xb + b) - yb
                lr = rate(step) if per_step else rates[epoch]
                w = w - lr * (xb @ dZ.T / xb.shape[1])
                b = b - lr * float(np.sum(dZ) / xb.shape[1])
                step += 1
            A = _sigmoid(w.T @ X + b)
            costs.append(float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))))
        return {"w": w, "b": float(b), "costs": np.array(costs), "learning_rates": rates}
    return impl


MISTAKES = [
    Mistake(call="update_lr", name="operator precedence",
            impl=lambda learning_rate0, epoch_num, decay_rate:
                float(learning_rate0 / (1 + decay_rate) * epoch_num),
            hint="Put the whole denominator in parentheses: "
                 "learning_rate0 / (1 + decay_rate * epoch_num). At epoch 0 the rate must be "
                 "learning_rate0, not 0."),
    Mistake(call="update_lr", name="exponential instead of inverse-time",
            impl=lambda learning_rate0, epoch_num, decay_rate:
                float(learning_rate0 / (1 + decay_rate) ** epoch_num),
            hint="This schedule divides by 1 + decay_rate * epoch_num, a linear function of the "
                 "epoch, not by (1 + decay_rate) ** epoch_num."),
    Mistake(call="update_lr", name="multiplied instead of divided",
            impl=lambda learning_rate0, epoch_num, decay_rate:
                float(learning_rate0 * (1 + decay_rate * epoch_num)),
            hint="Decay makes the learning rate smaller over time: divide learning_rate0 by "
                 "(1 + decay_rate * epoch_num)."),
    Mistake(call="schedule_lr_decay", name="forgot the floor",
            impl=lambda learning_rate0, epoch_num, decay_rate, time_interval=1000:
                float(learning_rate0 / (1 + decay_rate * epoch_num / time_interval)),
            hint="The rate must stay constant within each interval: use the number of completed "
                 "intervals, math.floor(epoch_num / time_interval)."),
    Mistake(call="schedule_lr_decay", name="rounded instead of floor",
            impl=lambda learning_rate0, epoch_num, decay_rate, time_interval=1000:
                float(learning_rate0 / (1 + decay_rate * round(epoch_num / time_interval))),
            hint="round() jumps halfway through an interval; math.floor counts completed "
                 "intervals, so the first decay happens exactly at epoch time_interval."),
    Mistake(call="schedule_lr_decay", name="used the remainder",
            impl=lambda learning_rate0, epoch_num, decay_rate, time_interval=1000:
                float(learning_rate0 / (1 + decay_rate * (epoch_num % time_interval))),
            hint="epoch_num % time_interval restarts at 0 every interval. You need the quotient: "
                 "math.floor(epoch_num / time_interval) (or epoch_num // time_interval)."),
    Mistake(call="learning_rate_schedule", name="epochs counted from 1",
            impl=lambda learning_rate0, num_epochs, decay_rate, method="inverse", time_interval=1000:
                np.array([learning_rate0 if method == "constant" else
                          learning_rate0 / (1 + decay_rate * (e if method == "inverse"
                                                              else math.floor(e / time_interval)))
                          for e in range(1, num_epochs + 1)], dtype=float),
            hint="Epochs are numbered 0, 1, ..., num_epochs - 1: the first epoch uses "
                 "learning_rate0 itself."),
    Mistake(call="train_with_decay", name="decayed every mini-batch",
            impl=_train(per_step=True),
            hint="The schedule is indexed by epoch: read learning_rates[epoch] once per epoch and "
                 "use it for every mini-batch of that epoch, instead of decaying after each step."),
    Mistake(call="train_with_decay", name="shuffled only once",
            impl=_train(shuffle_once=True),
            hint="Call random_mini_batches inside the epoch loop, so every epoch gets a new "
                 "shuffle."),
]
