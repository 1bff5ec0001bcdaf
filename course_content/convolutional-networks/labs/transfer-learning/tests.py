"""Tests and known mistakes for the transfer learning lab."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- fixed public inputs


def _pattern_images(m, phase=0.0):
    r = np.arange(16).reshape(16, 1)
    c = np.arange(16).reshape(1, 16)
    imgs = [np.cos(0.35 * (k + 1) * r - 0.15 * c + phase) * np.sin(0.2 * c + 0.3 * k + phase)
            for k in range(m)]
    return np.stack(imgs)[:, None].astype(np.float32)


HEAD_X = _pattern_images(2)
TUNE_X = _pattern_images(4, phase=0.5)
TUNE_Y = np.array([0, 1, 1, 0])


# ---------------------------------------------------------------- random (hidden) inputs

def random_layers(rng):
    widths = [int(w) for w in rng.integers(2, 6, size=5)]
    frozen = [int(i) for i in rng.choice(4, size=2, replace=False)]
    return {"widths": widths, "frozen": frozen}


def random_head(rng):
    return {"X": rng.standard_normal((3, 1, 16, 16)).astype(np.float32),
            "num_classes": int(rng.integers(3, 7))}


def random_count(freeze_features, conv1_bias):
    def make(rng):
        return {"num_classes": int(rng.integers(2, 9)), "freeze_features": freeze_features,
                "freeze_conv1_bias_only": conv1_bias}
    return make


def random_transfer(train_last_conv):
    def make(rng):
        return {"num_classes": int(rng.integers(3, 8)), "train_last_conv": train_last_conv}
    return make


def random_tune(rng):
    m = 6
    return {"X": rng.standard_normal((m, 1, 16, 16)).astype(np.float32),
            "Y": rng.integers(0, 3, size=m), "num_steps": 4, "lr": 0.02, "num_classes": 3}


TESTS = [
    # freeze_parameters
    Test("freezing the features leaves the head trainable", call="freeze_features", inputs={},
         public=True,
         expected={"requires_grad": [False, False, False, False, True, True],
                   "returned_the_module": True}),
    Test("freezing some layers of an MLP", call="freeze_some_layers", inputs=random_layers),

    # replace_head
    Test("replace the head with a 2-class layer", call="new_head",
         inputs={"X": HEAD_X, "num_classes": 2}, public=True, rtol=1e-4, atol=1e-6,
         expected={"logits": torch.tensor([[-0.00236047, -0.13190699], [0.04098174, -0.09089477]]),
                   "head_param_shapes": [[2, 256], [2]], "head_trainable": True, "features_kept": True}),
    Test("replace the head, random images and class count", call="new_head", inputs=random_head,
         seed=5, rtol=1e-4, atol=1e-6),

    # count_trainable_parameters
    Test("count with frozen features and 2 classes", call="count_after_freezing",
         inputs={"num_classes": 2, "freeze_features": True}, public=True, expected=514),
    Test("count with nothing frozen and 4 classes", call="count_after_freezing",
         inputs={"num_classes": 4, "freeze_features": False}, public=True, expected=2276),
    Test("count with only one bias frozen", call="count_after_freezing",
         inputs=random_count(False, True)),
    Test("count with frozen features, random class count", call="count_after_freezing",
         inputs=random_count(True, False)),

    # build_transfer_model
    Test("transfer model training the head only", call="transfer_model_summary",
         inputs={"num_classes": 2, "train_last_conv": False}, public=True,
         expected={"requires_grad": [False, False, False, False, True, True],
                   "head_param_shapes": [[2, 256], [2]], "n_trainable": 514,
                   "base_flags": [True] * 6, "base_head_param_shapes": [[4, 256], [4]],
                   "shares_weights_with_base": False}),
    Test("transfer model training the last convolution too", call="transfer_model_summary",
         inputs={"num_classes": 2, "train_last_conv": True}, public=True,
         expected={"requires_grad": [False, False, True, True, True, True],
                   "head_param_shapes": [[2, 256], [2]], "n_trainable": 1682,
                   "base_flags": [True] * 6, "base_head_param_shapes": [[4, 256], [4]],
                   "shares_weights_with_base": False}),
    Test("transfer model, random class count, head only", call="transfer_model_summary",
         inputs=random_transfer(False)),
    Test("transfer model, random class count, last conv", call="transfer_model_summary",
         inputs=random_transfer(True)),

    # fine_tune
    Test("five fine-tuning steps on the head", call="fine_tune_run",
         inputs={"X": TUNE_X, "Y": TUNE_Y, "num_steps": 5, "lr": 0.05}, public=True, rtol=1e-4,
         atol=1e-6,
         expected={"losses": np.array([0.69619304, 0.48209339, 0.32581764, 0.22132586, 0.13958248]),
                   "features_moved": 0.0, "head_bias": torch.tensor([-0.05607702, 0.01105235])}),
    Test("fine-tuning on a random batch", call="fine_tune_run", inputs=random_tune, seed=9,
         rtol=1e-4, atol=1e-6),
    Test("pretrain, transfer and fine-tune on the target task", call="transfer_end_to_end",
         inputs={"pretrain_epochs": 1, "num_steps": 5}, public=True, rtol=1e-3, atol=1e-5,
         expected={"losses": np.array([0.70511603, 0.67518264, 0.65124583, 0.62810457, 0.60486937]),
                   "test_loss": 0.67132294, "n_trainable": 514}),
]


# ---------------------------------------------------------------- known mistakes

def _freeze_attribute(module):
    module.requires_grad = False
    return module


def _freeze_weights_only(module):
    for name, p in module.named_parameters():
        if name.endswith("weight"):
            p.requires_grad = False
    return module


def _head_stacked(model, num_classes):
    model.head = nn.Sequential(model.head, nn.Linear(model.head.out_features, num_classes))
    return model


def _freeze(module):
    for p in module.parameters():
        p.requires_grad = False
    return module


def _new_head(model, num_classes):
    model.head = nn.Linear(model.head.in_features, num_classes)
    return model


def _transfer(base, num_classes, train_last_conv=False, deep_copy=True, freeze_after=False,
              unfreeze_index=3):
    model = copy.deepcopy(base) if deep_copy else base
    if freeze_after:
        _new_head(model, num_classes)
        _freeze(model)
    else:
        _freeze(model.features)
        _new_head(model, num_classes)
    if train_last_conv:
        for p in model.features[unfreeze_index].parameters():
            p.requires_grad = True
    return model


def _fine_tune(model, X, Y, num_steps=30, lr=0.01, zero_grad=True, sgd=False, unfreeze=False):
    if unfreeze:
        for p in model.parameters():
            p.requires_grad = True
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = (torch.optim.SGD if sgd else torch.optim.Adam)(params, lr=lr)
    losses = []
    for _ in range(num_steps):
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


MISTAKES = [
    Mistake(call="freeze_parameters", name="set requires_grad on the module",
            impl=_freeze_attribute,
            hint="`module.requires_grad = False` only creates an unused attribute on the module (and "
                 "module.eval() does not freeze either). Loop over module.parameters() and set "
                 "p.requires_grad = False on each parameter."),
    Mistake(call="freeze_parameters", name="froze the weights only",
            impl=_freeze_weights_only,
            hint="The biases are parameters too: freeze everything module.parameters() yields."),

    Mistake(call="replace_head", name="stacked a new layer on the old head",
            impl=_head_stacked,
            hint="The old 4-class layer is still there, feeding the new one. Assign a single new "
                 "nn.Linear(model.head.in_features, num_classes) to model.head."),

    Mistake(call="count_trainable_parameters", name="counted every parameter",
            impl=lambda model: int(sum(p.numel() for p in model.parameters())),
            hint="Only parameters with p.requires_grad are trainable: filter on it."),
    Mistake(call="count_trainable_parameters", name="counted tensors, not numbers",
            impl=lambda model: len([p for p in model.parameters() if p.requires_grad]),
            hint="Each parameter is a tensor; count its scalar entries with p.numel()."),
    Mistake(call="count_trainable_parameters", name="counted weights only",
            impl=lambda model: int(sum(p.numel() for n, p in model.named_parameters()
                                       if p.requires_grad and n.endswith("weight"))),
            hint="Biases are trainable parameters too."),

    Mistake(call="build_transfer_model", name="modified the base in place",
            impl=lambda base, num_classes, train_last_conv=False: _transfer(
                base, num_classes, train_last_conv, deep_copy=False),
            hint="Start from model = copy.deepcopy(base): otherwise the pretrained base itself is "
                 "frozen and loses its head."),
    Mistake(call="build_transfer_model", name="froze after replacing the head",
            impl=lambda base, num_classes, train_last_conv=False: _transfer(
                base, num_classes, train_last_conv, freeze_after=True),
            hint="The new head must stay trainable: freeze model.features (not the whole model), "
                 "or freeze before calling replace_head."),
    Mistake(call="build_transfer_model", name="unfroze the first convolution",
            impl=lambda base, num_classes, train_last_conv=False: _transfer(
                base, num_classes, train_last_conv, unfreeze_index=0),
            hint="Fine-tune the layers closest to the output first: the last convolution is "
                 "model.features[3]. Early layers hold the most generic features."),

    Mistake(call="fine_tune", name="forgot zero_grad",
            impl=lambda model, X, Y, num_steps=30, lr=0.01: _fine_tune(model, X, Y, num_steps, lr,
                                                                       zero_grad=False),
            hint="Gradients accumulate across backward() calls: call optimizer.zero_grad() each step."),
    Mistake(call="fine_tune", name="SGD instead of Adam",
            impl=lambda model, X, Y, num_steps=30, lr=0.01: _fine_tune(model, X, Y, num_steps, lr,
                                                                       sgd=True),
            hint="Use torch.optim.Adam on the trainable parameters."),
    Mistake(call="fine_tune", name="unfroze every parameter",
            impl=lambda model, X, Y, num_steps=30, lr=0.01: _fine_tune(model, X, Y, num_steps, lr,
                                                                       unfreeze=True),
            hint="fine_tune must respect the freezing decided earlier: do not change requires_grad, "
                 "just pass [p for p in model.parameters() if p.requires_grad] to the optimizer."),
]
