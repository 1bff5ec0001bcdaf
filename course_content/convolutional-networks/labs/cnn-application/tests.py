"""Tests and known mistakes for the CNN application lab."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- fixed public inputs

X_SMALL = np.arange(18).reshape(2, 3, 3)          # int64 on purpose: to_tensors must convert
Y_SMALL = np.array([2, 0])


def _pattern_images(m):
    """Deterministic, non-trivial images of shape (m, 1, 16, 16)."""
    r = np.arange(16).reshape(16, 1)
    c = np.arange(16).reshape(1, 16)
    imgs = [np.sin(0.3 * (k + 1) * r + 0.2 * c) * np.cos(0.25 * c - 0.1 * k * r) for k in range(m)]
    return np.stack(imgs)[:, None].astype(np.float32)


X_PATTERN = _pattern_images(4)
Y_PATTERN = np.array([0, 2, 1, 2])

LOGITS_A = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 0.5], [0.0, 0.0, 1.0]])
Y_A = np.array([0, 1, 2, 2])
LOGITS_SQUARE = np.array([[2.0, 1.0, 0.0], [3.0, 0.0, 1.0], [0.0, 1.5, 0.5]])
Y_SQUARE = np.array([0, 0, 1])


# ---------------------------------------------------------------- random (hidden) inputs

def random_arrays(rng):
    return {"X": rng.standard_normal((5, 16, 12)), "Y": rng.integers(0, 3, size=5).astype(np.int32)}


def random_images(rng):
    return {"X": rng.standard_normal((3, 1, 16, 16)).astype(np.float32)}


def random_logits(rng):
    m = 7
    return {"logits": rng.standard_normal((m, 3)), "Y": rng.integers(0, 3, size=m)}


def random_square_logits(rng):
    return {"logits": rng.standard_normal((4, 4)), "Y": rng.integers(0, 4, size=4)}


def random_batch(rng):
    return {"X": rng.standard_normal((6, 1, 16, 16)).astype(np.float32),
            "Y": rng.integers(0, 3, size=6), "num_steps": 4, "lr": 0.05}


def random_training(rng):
    return {"m": 50, "data_seed": int(rng.integers(100, 1000)), "num_epochs": 3,
            "batch_size": 16, "lr": 0.01}


TESTS = [
    # to_tensors
    Test("to_tensors adds the channel axis and converts types", call="tensors_summary",
         inputs={"X": X_SMALL, "Y": Y_SMALL}, public=True,
         expected={"X": torch.arange(18, dtype=torch.float32).reshape(2, 1, 3, 3),
                   "Y": torch.tensor([2, 0]),
                   "X_dtype": "torch.float32", "Y_dtype": "torch.int64",
                   "X_shape": [2, 1, 3, 3], "Y_shape": [2]}),
    Test("to_tensors on float64 images and int32 labels", call="tensors_summary",
         inputs=random_arrays),

    # build_model
    Test("model layers, shapes and parameter count", call="model_summary", inputs={}, public=True,
         expected={"layers": ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d",
                              "Flatten", "Linear"],
                   "shapes": [[2, 8, 16, 16], [2, 8, 16, 16], [2, 8, 8, 8], [2, 16, 8, 8],
                              [2, 16, 8, 8], [2, 16, 4, 4], [2, 256], [2, 3]],
                   "n_params": 2019}),
    Test("logits of a freshly initialized model (seed 0)", call="model_logits",
         inputs={"X": X_PATTERN}, public=True, rtol=1e-4, atol=1e-6,
         expected=torch.tensor([[-0.11839806, -0.01972518, 0.02066033],
                                [-0.09495910, 0.03822869, -0.07763278],
                                [-0.16800463, -0.03451402, -0.10948742],
                                [-0.13352004, -0.03511727, -0.01801647]])),
    Test("logits on random images (seed 7)", call="model_logits", inputs=random_images, seed=7,
         rtol=1e-4, atol=1e-6),

    # compute_accuracy
    Test("accuracy of 4 predictions", call="accuracy", inputs={"logits": LOGITS_A, "Y": Y_A},
         public=True, expected=0.75),
    Test("accuracy with as many classes as examples", call="accuracy",
         inputs={"logits": LOGITS_SQUARE, "Y": Y_SQUARE}, public=True, expected=1.0),
    Test("accuracy on random logits", call="accuracy", inputs=random_logits),
    Test("accuracy on random square logits", call="accuracy", inputs=random_square_logits),

    # train_step
    Test("three SGD steps on a fixed model", call="train_steps",
         inputs={"X": X_PATTERN, "Y": Y_PATTERN, "num_steps": 3, "lr": 0.1}, public=True,
         rtol=1e-4, atol=1e-6,
         expected={"losses": np.array([1.0929668, 1.0633073, 1.0344448]), "final_loss": 1.0027506}),
    Test("three SGD steps on a random batch", call="train_steps", inputs=random_batch, seed=3,
         rtol=1e-4, atol=1e-6),

    # train_model
    Test("two epochs of mini-batch Adam", call="train_and_evaluate",
         inputs={"m": 64, "data_seed": 3, "num_epochs": 2, "batch_size": 20, "lr": 0.01},
         public=True, rtol=1e-3, atol=1e-5,
         expected={"costs": np.array([1.1654175, 1.0738277]), "train_accuracy": 0.59375}),
    Test("three epochs on other data", call="train_and_evaluate", inputs=random_training, seed=5,
         rtol=1e-3, atol=1e-5),
]


# ---------------------------------------------------------------- known mistakes

def _model(conv=nn.Conv2d, k=3, relu=True, pool=nn.MaxPool2d):
    p = k // 2
    layers = [conv(1, 8, kernel_size=k, padding=p), nn.ReLU() if relu else nn.Identity(), pool(2),
              conv(8, 16, kernel_size=k, padding=p), nn.ReLU() if relu else nn.Identity(), pool(2),
              nn.Flatten(), nn.Linear(256, 3)]
    return nn.Sequential(*layers)


def _train_step(model, optimizer, X, Y, zero_grad=True, softmax_first=False, step=True):
    if zero_grad:
        optimizer.zero_grad()
    logits = model(X)
    if softmax_first:
        logits = F.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, Y)
    loss.backward()
    if step:
        optimizer.step()
    return loss.item()


def _train_model(X, Y, num_epochs=10, batch_size=32, lr=0.01, shuffle=True, weighted=True,
                 sgd=False):
    model = _model()
    opt_cls = torch.optim.SGD if sgd else torch.optim.Adam
    optimizer = opt_cls(model.parameters(), lr=lr)
    m = X.shape[0]
    costs = []
    for _ in range(num_epochs):
        perm = torch.randperm(m) if shuffle else torch.arange(m)
        total, n_batches = 0.0, 0
        for start in range(0, m, batch_size):
            idx = perm[start:start + batch_size]
            loss = _train_step(model, optimizer, X[idx], Y[idx])
            total += loss * len(idx) if weighted else loss
            n_batches += 1
        costs.append(total / m if weighted else total / n_batches)
    return model, costs


MISTAKES = [
    Mistake(call="to_tensors", name="forgot the channel axis",
            impl=lambda X, Y: (torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.int64)),
            hint="nn.Conv2d expects (batch, channels, height, width). Grayscale images need a channel "
                 "axis of size 1 at position 1: X_t.unsqueeze(1)."),
    Mistake(call="to_tensors", name="put the channel axis last",
            impl=lambda X, Y: (torch.tensor(X, dtype=torch.float32).unsqueeze(-1),
                               torch.tensor(Y, dtype=torch.int64)),
            hint="PyTorch is channels-first (NCHW): the channel axis goes at position 1, not at the end."),
    Mistake(call="to_tensors", name="kept the numpy dtypes",
            impl=lambda X, Y: (torch.from_numpy(np.asarray(X)).unsqueeze(1), torch.from_numpy(np.asarray(Y))),
            hint="torch.from_numpy keeps the numpy dtype. Convert the images to float32 (.float()) and "
                 "the labels to int64 (.long()), the types nn.Conv2d and F.cross_entropy expect."),

    Mistake(call="build_model", name="no ReLU between the layers",
            impl=lambda: _model(relu=False),
            hint="Without nn.ReLU() after each convolution the two convolutions and the max-pools are "
                 "close to one linear map. Put nn.ReLU() right after each nn.Conv2d."),
    Mistake(call="build_model", name="average pooling",
            impl=lambda: _model(pool=nn.AvgPool2d),
            hint="The network uses max pooling: nn.MaxPool2d(2)."),
    Mistake(call="build_model", name="5x5 filters",
            impl=lambda: _model(k=5),
            hint="The shapes come out right, but the parameter count does not: use kernel_size=3 with "
                 "padding=1 for both convolutions."),

    Mistake(call="compute_accuracy", name="argmax over the wrong axis",
            impl=lambda logits, Y: (logits.argmax(dim=0) == Y).float().mean().item(),
            hint="Each row holds one example's scores: take the argmax over the classes, dim=1."),
    Mistake(call="compute_accuracy", name="counted instead of averaged",
            impl=lambda logits, Y: (logits.argmax(dim=1) == Y).float().sum().item(),
            hint="Accuracy is a fraction: divide the number of correct predictions by m (use .mean())."),

    Mistake(call="train_step", name="forgot zero_grad",
            impl=lambda model, optimizer, X, Y: _train_step(model, optimizer, X, Y, zero_grad=False),
            hint="The first loss is right but the later ones drift: gradients accumulate in .grad "
                 "across backward() calls. Call optimizer.zero_grad() at the start of every step."),
    Mistake(call="train_step", name="softmax before cross_entropy",
            impl=lambda model, optimizer, X, Y: _train_step(model, optimizer, X, Y, softmax_first=True),
            hint="F.cross_entropy applies log-softmax itself; feeding it probabilities applies softmax "
                 "twice. Pass the raw logits."),
    Mistake(call="train_step", name="forgot optimizer.step()",
            impl=lambda model, optimizer, X, Y: _train_step(model, optimizer, X, Y, step=False),
            hint="The loss never changes: backward() only computes gradients, optimizer.step() applies "
                 "the update."),

    Mistake(call="train_model", name="no shuffling",
            impl=lambda X, Y, num_epochs=10, batch_size=32, lr=0.01: _train_model(
                X, Y, num_epochs, batch_size, lr, shuffle=False),
            hint="Draw a new permutation perm = torch.randperm(m) at the start of every epoch and take "
                 "the mini-batches from it."),
    Mistake(call="train_model", name="plain mean of batch losses",
            impl=lambda X, Y, num_epochs=10, batch_size=32, lr=0.01: _train_model(
                X, Y, num_epochs, batch_size, lr, weighted=False),
            hint="The last mini-batch is smaller, so a plain average of batch losses over-weights it. "
                 "Weight each batch loss by its size and divide by m."),
    Mistake(call="train_model", name="SGD instead of Adam",
            impl=lambda X, Y, num_epochs=10, batch_size=32, lr=0.01: _train_model(
                X, Y, num_epochs, batch_size, lr, sgd=True),
            hint="Use torch.optim.Adam(model.parameters(), lr=lr)."),
]
