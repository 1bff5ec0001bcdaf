"""Drivers for the CNN application lab: each builds tensors/models around one learner function.

`ns` is the learner's notebook namespace. The grader seeds numpy and torch before each call.
"""

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)

# The first optimizer ever created in a process imports torch._dynamo (about 2 s of CPU).
# Pay that once here, when the drivers are loaded, rather than inside the first timed test.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def tensors_summary(ns, X, Y):
    """Call to_tensors and report values, dtypes and shapes."""
    X_t, Y_t = ns["to_tensors"](X, Y)
    return {"X": X_t, "Y": Y_t, "X_dtype": str(X_t.dtype), "Y_dtype": str(Y_t.dtype),
            "X_shape": list(X_t.shape), "Y_shape": list(Y_t.shape)}


def model_summary(ns):
    """Layer types, the output shape after each layer for a batch of 2, and the parameter count."""
    model = ns["build_model"]()
    x = torch.zeros(2, 1, 16, 16)
    names, shapes = [], []
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            names.append(type(layer).__name__)
            shapes.append(list(x.shape))
    n_params = int(sum(p.numel() for p in model.parameters()))
    return {"layers": names, "shapes": shapes, "n_params": n_params}


def model_logits(ns, X):
    """Logits of a freshly built model (seeded by the grader) on images X of shape (m, 1, 16, 16)."""
    model = ns["build_model"]()
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32))


def accuracy(ns, logits, Y):
    """compute_accuracy on tensors made from numpy inputs."""
    acc = ns["compute_accuracy"](torch.tensor(logits, dtype=torch.float32),
                                 torch.tensor(Y, dtype=torch.int64))
    return float(acc)


def _fixed_model():
    return nn.Sequential(nn.Conv2d(1, 2, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(4),
                         nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


def train_steps(ns, X, Y, num_steps=3, lr=0.1):
    """Run the learner's train_step num_steps times (SGD) on a fixed small model; return the
    losses it reported and the loss of the updated model on the same batch."""
    model = _fixed_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    X_t = torch.tensor(X, dtype=torch.float32)
    Y_t = torch.tensor(Y, dtype=torch.int64)
    losses = []
    for _ in range(num_steps):
        loss = ns["train_step"](model, optimizer, X_t, Y_t)
        losses.append(float(loss))
    with torch.no_grad():
        final_loss = nn.functional.cross_entropy(model(X_t), Y_t).item()
    return {"losses": np.array(losses), "final_loss": final_loss}


def train_and_evaluate(ns, m, data_seed, num_epochs, batch_size, lr):
    """Generate m shapes, train with the learner's train_model, return costs and train accuracy."""
    X, Y = ns["make_shapes"](m, seed=data_seed)
    X_t = torch.tensor(X, dtype=torch.float32).unsqueeze(1)
    Y_t = torch.tensor(Y, dtype=torch.int64)
    model, costs = ns["train_model"](X_t, Y_t, num_epochs=num_epochs, batch_size=batch_size, lr=lr)
    with torch.no_grad():
        acc = (model(X_t).argmax(dim=1) == Y_t).float().mean().item()
    return {"costs": np.array([float(c) for c in costs]), "train_accuracy": acc}
