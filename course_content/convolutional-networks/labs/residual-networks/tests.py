"""Tests and known mistakes for the residual networks lab."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

# ---------------------------------------------------------------- fixed public inputs

ID_X = np.sin(np.arange(18.0)).reshape(1, 2, 3, 3)
ZERO_GAMMA_X = np.cos(0.7 * np.arange(96.0)).reshape(2, 3, 4, 4)
CONV_X = np.sin(0.5 * np.arange(32.0) + 1.0).reshape(1, 2, 4, 4)


def _images(m, channels=3, size=16, offset=0.0):
    r = np.arange(size).reshape(1, size, 1)
    c = np.arange(size).reshape(1, 1, size)
    ch = np.arange(channels).reshape(channels, 1, 1)
    out = [np.sin(0.4 * (k + 1) * r - 0.3 * c + ch + offset) * np.cos(0.2 * (ch + 1) * c + 0.1 * k)
           for k in range(m)]
    return np.stack(out).astype(np.float32)


RES_X = _images(2)
WARM_X = 3.0 + 2.0 * _images(6, size=4, offset=1.0)
PRED_X = _images(3, size=4, offset=2.0)


# ---------------------------------------------------------------- random (hidden) inputs

def random_identity(f, filters, train):
    def make(rng):
        return {"X": rng.standard_normal((3, filters[2], 5, 5)), "f": f, "filters": filters,
                "train": train}
    return make


def random_zero_gamma(rng):
    return {"X": rng.standard_normal((2, 4, 3, 5))}


def random_conv(f, filters, s):
    def make(rng):
        return {"X": rng.standard_normal((2, 4, 6, 6)), "f": f, "filters": filters, "s": s}
    return make


def random_resnet(rng):
    return {"X": rng.standard_normal((3, 3, 16, 16)).astype(np.float32), "num_classes": 4}


def random_predict(rng):
    return {"X_warm": 2.0 + 3.0 * rng.standard_normal((8, 3, 4, 4)),
            "X": rng.standard_normal((5, 3, 4, 4))}


TESTS = [
    # IdentityBlock
    Test("identity block, training mode", call="identity_block_output",
         inputs={"X": ID_X, "f": 3, "filters": [2, 2, 2], "train": True}, public=True, rtol=1e-4,
         atol=1e-5,
         expected={"out": torch.tensor([[[[0.0, 0.0, 0.83720905], [0.95347673, 0.30155617, 0.19831276],
                                          [0.51798815, 0.75255948, 0.0]],
                                         [[0.0, 0.0, 0.0], [0.18138981, 1.55754304, 2.29656315],
                                          [1.34275687, 0.0, 0.0]]]]),
                   "n_params": 56}),
    Test("identity block, evaluation mode", call="identity_block_output",
         inputs={"X": ID_X, "f": 3, "filters": [2, 2, 2], "train": False}, public=True, rtol=1e-4,
         atol=1e-5),
    Test("with bn3's gamma and beta at zero the block is ReLU(x)", call="identity_block_zero_gamma",
         inputs={"X": ZERO_GAMMA_X}, public=True, rtol=1e-5, atol=1e-6,
         expected=torch.tensor(np.maximum(ZERO_GAMMA_X, 0.0))),
    Test("identity block on a random batch, f=3", call="identity_block_output",
         inputs=random_identity(3, [3, 4, 6], True), seed=11, rtol=1e-4, atol=1e-5),
    Test("identity block on a random batch, f=5, eval mode", call="identity_block_output",
         inputs=random_identity(5, [2, 3, 4], False), seed=12, rtol=1e-4, atol=1e-5),
    Test("zero-gamma identity block on a random batch", call="identity_block_zero_gamma",
         inputs=random_zero_gamma, seed=13, rtol=1e-5, atol=1e-6),

    # ConvolutionalBlock
    Test("convolutional block with stride 2", call="conv_block_output",
         inputs={"X": CONV_X, "f": 3, "filters": [2, 2, 3], "s": 2}, public=True, rtol=1e-4,
         atol=1e-5,
         expected={"out": torch.tensor([[[[0.99257511, 0.0], [0.0, 0.82075131]],
                                         [[0.0, 0.0], [2.69586277, 0.92798257]],
                                         [[2.36398745, 0.0], [0.0, 0.91095817]]]]),
                   "n_params": 72}),
    Test("convolutional block on a random batch, stride 2", call="conv_block_output",
         inputs=random_conv(3, [2, 3, 5], 2), seed=21, rtol=1e-4, atol=1e-5),
    Test("convolutional block on a random batch, stride 1", call="conv_block_output",
         inputs=random_conv(3, [3, 3, 6], 1), seed=22, rtol=1e-4, atol=1e-5),

    # TinyResNet
    Test("TinyResNet shapes and parameter count", call="resnet_summary", inputs={}, public=True,
         expected={"shapes": {"stem": [2, 8, 16, 16], "stage1": [2, 16, 16, 16],
                              "stage2": [2, 32, 8, 8], "pool": [2, 32, 1, 1]},
                   "n_params": 3915}),
    Test("TinyResNet logits on two images", call="resnet_logits", inputs={"X": RES_X}, public=True,
         rtol=1e-4, atol=1e-5,
         expected=torch.tensor([[0.11653008, -1.30143607, -0.90248877],
                                [0.03225865, -1.35689521, -1.02461541]])),
    Test("TinyResNet logits on random images, 4 classes", call="resnet_logits", inputs=random_resnet,
         seed=31, rtol=1e-4, atol=1e-5),

    # predict
    Test("predict uses the running statistics", call="predict_after_warmup",
         inputs={"X_warm": WARM_X, "X": PRED_X}, public=True, rtol=1e-4, atol=1e-6,
         expected={"probs": torch.tensor([[0.4503012, 0.28402597, 0.2656728],
                                          [0.44015834, 0.30315053, 0.25669107],
                                          [0.41944093, 0.33253598, 0.24802309]]),
                   "labels": torch.tensor([0, 0, 0])}),
    Test("predict on a random batch", call="predict_after_warmup", inputs=random_predict, seed=41,
         rtol=1e-4, atol=1e-6),
]


# ---------------------------------------------------------------- known mistakes

class _IdBlock(nn.Module):
    def __init__(self, in_channels, f, filters, bias=False, relu_before_add=False, final_relu=True,
                 shortcut=True):
        super().__init__()
        F1, F2, F3 = filters
        self.conv1 = nn.Conv2d(in_channels, F1, kernel_size=1, bias=bias)
        self.bn1 = nn.BatchNorm2d(F1)
        self.conv2 = nn.Conv2d(F1, F2, kernel_size=f, padding=f // 2, bias=bias)
        self.bn2 = nn.BatchNorm2d(F2)
        self.conv3 = nn.Conv2d(F2, F3, kernel_size=1, bias=bias)
        self.bn3 = nn.BatchNorm2d(F3)
        self.opts = (relu_before_add, final_relu, shortcut)

    def forward(self, x):
        relu_before_add, final_relu, shortcut = self.opts
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if relu_before_add:
            out = F.relu(out)
        if shortcut:
            out = out + x
        return F.relu(out) if final_relu else out


class _ConvBlock(nn.Module):
    def __init__(self, in_channels, f, filters, s=2, stride_on_middle=False, shortcut_bn=True,
                 shortcut_relu=False):
        super().__init__()
        F1, F2, F3 = filters
        s1, s2 = (1, s) if stride_on_middle else (s, 1)
        self.conv1 = nn.Conv2d(in_channels, F1, kernel_size=1, stride=s1, bias=False)
        self.bn1 = nn.BatchNorm2d(F1)
        self.conv2 = nn.Conv2d(F1, F2, kernel_size=f, stride=s2, padding=f // 2, bias=False)
        self.bn2 = nn.BatchNorm2d(F2)
        self.conv3 = nn.Conv2d(F2, F3, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(F3)
        self.shortcut_conv = nn.Conv2d(in_channels, F3, kernel_size=1, stride=s, bias=False)
        self.shortcut_bn = nn.BatchNorm2d(F3) if shortcut_bn else nn.Identity()
        self.shortcut_relu = shortcut_relu

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        sc = self.shortcut_bn(self.shortcut_conv(x))
        if self.shortcut_relu:
            sc = F.relu(sc)
        return F.relu(out + sc)


class _ResNet(nn.Module):
    def __init__(self, num_classes=3, in_channels=3, stem_relu=True, stage2_stride=2,
                 pool=nn.AdaptiveAvgPool2d):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 8, kernel_size=3, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.ReLU() if stem_relu else nn.Identity())
        self.stage1 = nn.Sequential(_ConvBlock(8, 3, [4, 4, 16], s=1), _IdBlock(16, 3, [4, 4, 16]))
        self.stage2 = nn.Sequential(_ConvBlock(16, 3, [8, 8, 32], s=stage2_stride),
                                    _IdBlock(32, 3, [8, 8, 32]))
        self.pool = pool(1)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.pool(self.stage2(self.stage1(self.stem(x))))
        return self.fc(torch.flatten(x, 1))


def _predict(model, X, use_eval=True, softmax_dim=1, logits_only=False):
    if use_eval:
        model.eval()
    with torch.no_grad():
        logits = model(X)
        probs = logits if logits_only else torch.softmax(logits, dim=softmax_dim)
    return probs, logits.argmax(dim=1)


MISTAKES = [
    Mistake(call="IdentityBlock", name="ReLU before the addition",
            impl=lambda in_channels, f, filters: _IdBlock(in_channels, f, filters, relu_before_add=True),
            hint="After bn3 there is no ReLU yet: add the shortcut to bn3's output first, then apply "
                 "a single ReLU to the sum, a[l+2] = g(z[l+2] + a[l])."),
    Mistake(call="IdentityBlock", name="no ReLU after the addition",
            impl=lambda in_channels, f, filters: _IdBlock(in_channels, f, filters, final_relu=False),
            hint="The block ends with a ReLU applied to (main path + shortcut)."),
    Mistake(call="IdentityBlock", name="forgot the shortcut",
            impl=lambda in_channels, f, filters: _IdBlock(in_channels, f, filters, shortcut=False),
            hint="This is a plain block: keep a reference to the input x and add it to bn3's output "
                 "before the final ReLU."),
    Mistake(call="IdentityBlock", name="kept the convolution biases",
            impl=lambda in_channels, f, filters: _IdBlock(in_channels, f, filters, bias=True),
            hint="Pass bias=False to each nn.Conv2d: the batch norm that follows removes any constant "
                 "bias anyway (and its beta plays that role), so the biases are wasted parameters."),

    Mistake(call="ConvolutionalBlock", name="stride on the middle convolution",
            impl=lambda in_channels, f, filters, s=2: _ConvBlock(in_channels, f, filters, s,
                                                                 stride_on_middle=True),
            hint="Shapes match, but in this lab (as in the original ResNet-50) the stride s belongs "
                 "to the first 1x1 convolution, conv1; conv2 uses stride 1."),
    Mistake(call="ConvolutionalBlock", name="no batch norm on the shortcut",
            impl=lambda in_channels, f, filters, s=2: _ConvBlock(in_channels, f, filters, s,
                                                                 shortcut_bn=False),
            hint="The shortcut is shortcut_conv followed by shortcut_bn, so that both branches are "
                 "normalized before they are added."),
    Mistake(call="ConvolutionalBlock", name="ReLU on the shortcut",
            impl=lambda in_channels, f, filters, s=2: _ConvBlock(in_channels, f, filters, s,
                                                                 shortcut_relu=True),
            hint="The shortcut has no activation of its own: add shortcut_bn's output to the main "
                 "path, then apply one ReLU to the sum."),

    Mistake(call="TinyResNet", name="no ReLU in the stem",
            impl=lambda num_classes=3, in_channels=3: _ResNet(num_classes, in_channels, stem_relu=False),
            hint="The stem is conv -> batch norm -> ReLU."),
    Mistake(call="TinyResNet", name="stage 2 does not downsample",
            impl=lambda num_classes=3, in_channels=3: _ResNet(num_classes, in_channels, stage2_stride=1),
            hint="The global pooling hides it, but stage 2 should halve height and width: its "
                 "ConvolutionalBlock uses s=2 (output 32 x 8 x 8)."),
    Mistake(call="TinyResNet", name="max pooling at the end",
            impl=lambda num_classes=3, in_channels=3: _ResNet(num_classes, in_channels,
                                                              pool=nn.AdaptiveMaxPool2d),
            hint="ResNets end with global *average* pooling: nn.AdaptiveAvgPool2d(1)."),

    Mistake(call="predict", name="forgot model.eval()",
            impl=lambda model, X: _predict(model, X, use_eval=False),
            hint="In training mode batch norm normalizes with the statistics of this batch instead of "
                 "the running averages. Call model.eval() before the forward pass."),
    Mistake(call="predict", name="softmax over the batch axis",
            impl=lambda model, X: _predict(model, X, softmax_dim=0),
            hint="Each row must sum to 1: apply torch.softmax(logits, dim=1), over the classes."),
    Mistake(call="predict", name="returned logits",
            impl=lambda model, X: _predict(model, X, logits_only=True),
            hint="Return probabilities: apply torch.softmax(logits, dim=1) to the logits."),
]
