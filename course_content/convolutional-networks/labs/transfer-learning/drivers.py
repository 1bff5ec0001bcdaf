"""Drivers for the transfer learning lab. `ns` is the learner's notebook namespace; the grader
seeds numpy and torch before each call. The drivers build their own copy of the base network so
that each graded function is tested on its own."""

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)

# The first optimizer ever created in a process imports torch._dynamo (about 2 s of CPU).
# Pay that once here, when the drivers are loaded, rather than inside the first timed test.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


class _Net(nn.Module):
    """Same structure as the notebook's BaseNet."""

    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(256, num_classes)

    def forward(self, x):
        return self.head(self.features(x))


def _flags(model):
    return [bool(p.requires_grad) for p in model.parameters()]


def _shapes(module):
    return [list(p.shape) for p in module.parameters()]


def freeze_features(ns):
    """Freeze the features of a fresh network with the learner's freeze_parameters."""
    model = _Net()
    returned = ns["freeze_parameters"](model.features)
    return {"requires_grad": _flags(model), "returned_the_module": returned is model.features}


def freeze_some_layers(ns, widths, frozen):
    """An MLP with the given layer widths; freeze the layers whose indices are in `frozen`."""
    model = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
    for i in frozen:
        ns["freeze_parameters"](model[i])
    return {"requires_grad": _flags(model)}


def new_head(ns, X, num_classes):
    """Replace the head of a fresh network; report the new head and the logits on X."""
    model = _Net()
    old_features = [p.detach().clone() for p in model.features.parameters()]
    model = ns["replace_head"](model, num_classes)
    with torch.no_grad():
        logits = model(torch.tensor(X, dtype=torch.float32))
    features_kept = all(torch.equal(a, b) for a, b in zip(old_features, model.features.parameters()))
    return {"logits": logits, "head_param_shapes": _shapes(model.head),
            "head_trainable": all(p.requires_grad for p in model.head.parameters()),
            "features_kept": features_kept}


def count_after_freezing(ns, num_classes, freeze_features, freeze_conv1_bias_only=False):
    """Count trainable parameters of a network with some parameters frozen by the driver."""
    model = _Net(num_classes=num_classes)
    if freeze_features:
        for p in model.features.parameters():
            p.requires_grad = False
    if freeze_conv1_bias_only:
        model.features[0].bias.requires_grad = False
    return int(ns["count_trainable_parameters"](model))


def transfer_model_summary(ns, num_classes, train_last_conv):
    """Build a transfer model from a fresh base; report its flags, head and count, and whether
    the base was left untouched."""
    base = _Net()
    model = ns["build_transfer_model"](base, num_classes, train_last_conv=bool(train_last_conv))
    n_trainable = int(sum(p.numel() for p in model.parameters() if p.requires_grad))
    return {"requires_grad": _flags(model), "head_param_shapes": _shapes(model.head),
            "n_trainable": n_trainable, "base_flags": _flags(base),
            "base_head_param_shapes": _shapes(base.head),
            "shares_weights_with_base": model.features[0].weight is base.features[0].weight}


def fine_tune_run(ns, X, Y, num_steps, lr, num_classes=2):
    """Fine-tune the head of a fresh network (features frozen by the driver) with the learner's
    fine_tune; return the losses, whether the features moved, and the final head weights."""
    model = _Net()
    for p in model.features.parameters():
        p.requires_grad = False
    model.head = nn.Linear(256, num_classes)
    before = [p.detach().clone() for p in model.features.parameters()]
    losses = ns["fine_tune"](model, torch.tensor(X, dtype=torch.float32),
                             torch.tensor(Y, dtype=torch.int64), num_steps=num_steps, lr=lr)
    moved = max(float((a - b.detach()).abs().max()) for a, b in zip(before, model.features.parameters()))
    return {"losses": np.array([float(v) for v in losses]), "features_moved": moved,
            "head_bias": model.head.bias.detach().clone()}


def transfer_end_to_end(ns, pretrain_epochs, num_steps):
    """Pretrain the notebook's BaseNet briefly, then run the learner's transfer pipeline on the
    notebook's target data. Returns the losses and the loss on the target test images."""
    base = ns["pretrain_base"](num_epochs=pretrain_epochs, seed=0)
    torch.manual_seed(1)
    model = ns["build_transfer_model"](base, 2)
    losses = ns["fine_tune"](model, ns["X_target"], ns["Y_target"], num_steps=num_steps, lr=0.01)
    with torch.no_grad():
        test_loss = torch.nn.functional.cross_entropy(model(ns["X_target_test"]),
                                                      ns["Y_target_test"]).item()
    return {"losses": np.array([float(v) for v in losses]), "test_loss": test_loss,
            "n_trainable": int(ns["count_trainable_parameters"](model))}
