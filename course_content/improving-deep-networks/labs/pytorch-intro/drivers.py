"""Helpers for tests that need more than one call into the notebook."""
import torch


def model_logits(ns, n_features, n_classes, X):
    """Build the learner's SoftmaxRegression (weights from the seeded generator) and run it on X."""
    model = ns["SoftmaxRegression"](n_features, n_classes)
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float32))


def model_parameter_count(ns, n_features, n_classes):
    """Number of trainable numbers registered by the learner's SoftmaxRegression."""
    model = ns["SoftmaxRegression"](n_features, n_classes)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
