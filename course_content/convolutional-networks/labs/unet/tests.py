import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_content.labkit import Mistake, Test

# ---------- fixed inputs and pinned outputs (computed with the reference and checked by hand
# for shapes, ReLU zeros and pooling) ----------

CONV_FIXED = np.array([[[[0.482851, 0.0, 0.566333, 0.0],
                              [0.667276, 0.0, 0.709708, 0.0],
                              [0.502983, 0.0, 0.540098, 0.0],
                              [0.240937, 0.0, 0.229376, 0.040342]],
                             [[0.43825, 0.0, 0.693942, 0.0],
                              [0.899709, 0.0, 1.142258, 0.0],
                              [0.603025, 0.0, 0.844001, 0.0],
                              [0.0, 0.0, 0.040813, 0.0]]]])

ENC_NEXT_FIXED = np.array([[[[0.667276, 0.709708], [0.502983, 0.540098]],
                            [[0.899709, 1.142258], [0.603025, 0.844001]]]])

DEC_FIXED = np.array([[[[0.266432, 0.0, 0.528151, 0.0],
                        [0.579832, 0.0, 0.781703, 0.0],
                        [0.534167, 0.0, 0.735986, 0.0],
                        [0.346143, 0.0, 0.369957, 0.0]],
                       [[0.00188, 0.0, 0.605777, 0.0],
                        [0.702405, 0.0, 1.307312, 0.0],
                        [0.667236, 0.0, 1.34066, 0.0],
                        [0.270096, 0.0, 0.470982, 0.0]]]])

UNET_SUMMARY_B4 = {
    "n_params": 7407,
    "param_shapes": [[4, 1, 3, 3], [4], [4, 4, 3, 3], [4],            # enc1
                     [8, 4, 3, 3], [8], [8, 8, 3, 3], [8],            # enc2
                     [16, 8, 3, 3], [16], [16, 16, 3, 3], [16],       # bottleneck
                     [16, 8, 2, 2], [8], [8, 16, 3, 3], [8], [8, 8, 3, 3], [8],  # dec2: up, conv
                     [8, 4, 2, 2], [4], [4, 8, 3, 3], [4], [4, 4, 3, 3], [4],    # dec1: up, conv
                     [3, 4, 1, 1], [3]],                              # head
    "output_shape": [1, 3, 16, 16],
}

TRAIN_FIXED = {"losses": np.array([0.99608731, 0.86489648, 0.79254025, 0.7203753, 0.70128632,
                                    0.68038082, 0.67368048, 0.66479832, 0.65495664, 0.64527959]),
               "pixel_accuracy": 0.796875}

X44 = np.array([[[[0.0, 1.0, 0.5, -0.5],
                  [1.0, -1.0, 0.0, 0.25],
                  [0.5, 0.0, 1.0, -0.25],
                  [-0.5, 0.25, 0.75, 1.0]]]])


def tiny_shapes(n, size=8, seed=0):
    """Small squares (class 1) and plus signs (class 2) on a noisy background."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for k in range(n):
        r, c = rng.integers(0, size - 3, size=2)
        masks[k, r:r + 3, c:c + 3] = 1
        r, c = rng.integers(1, size - 1, size=2)
        masks[k, r, c - 1:c + 2] = 2
        masks[k, r - 1:r + 2, c] = 2
    images[:, 0] = (masks > 0).astype(np.float32)
    images += rng.normal(0, 0.1, size=images.shape).astype(np.float32)
    return images, masks


TRAIN_X, TRAIN_Y = tiny_shapes(6, seed=4)


# ---------- random inputs ----------

def random_conv(rng):
    cin, cout = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    h, w = int(rng.integers(3, 7)), int(rng.integers(3, 7))
    return {"x": rng.standard_normal((2, cin, h, w)), "in_channels": cin, "out_channels": cout}


def random_encoder(rng, pool=True):
    cin, cout = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    h, w = 2 * int(rng.integers(2, 4)), 2 * int(rng.integers(2, 4))
    return {"x": rng.standard_normal((2, cin, h, w)), "in_channels": cin, "out_channels": cout, "pool": pool}


def random_decoder(rng):
    cin, cskip, cout = int(rng.integers(2, 6)), int(rng.integers(1, 4)), int(rng.integers(2, 5))
    h, w = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    return {"x": rng.standard_normal((2, cin, h, w)), "skip": rng.standard_normal((2, cskip, 2 * h, 2 * w)),
            "in_channels": cin, "skip_channels": cskip, "out_channels": cout}


def random_unet(rng):
    cin, ncls, base = int(rng.integers(1, 3)), int(rng.integers(2, 5)), int(rng.integers(3, 5))
    return {"x": rng.standard_normal((2, cin, 8, 12)), "in_channels": cin, "n_classes": ncls, "base": base}


def random_loss(rng):
    n, c, h, w = 2, int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(5, 7))
    return {"logits": 2 * rng.standard_normal((n, c, h, w)), "masks": rng.integers(0, c, size=(n, h, w))}


def random_train(rng):
    images, masks = tiny_shapes(4, seed=int(rng.integers(0, 10_000)))
    return {"images": images, "masks": masks, "steps": 8, "lr": 0.05, "base": 4}


def random_predict(rng):
    return {"logits": rng.standard_normal((2, int(rng.integers(2, 5)), 3, 4))}


def _loss_expected_zeros():
    masks = np.array([[[0, 2], [1, 1]]])
    onehot = np.eye(3)[masks].transpose(0, 3, 1, 2)
    return {"loss": float(np.log(3.0)), "grad": (1 / 3 - onehot) / 4}


TESTS = [
    # Exercise 1
    Test("ConvBlock with fixed weights", call="conv_block_output",
         inputs={"x": X44, "in_channels": 1, "out_channels": 2, "patterned": True},
         expected=CONV_FIXED, public=True, rtol=1e-4, atol=1e-5),
    Test("ConvBlock, random input and initialization", call="conv_block_output", inputs=random_conv,
         rtol=1e-4, atol=1e-5),
    # Exercise 2
    Test("EncoderBlock with fixed weights", call="encoder_block_output",
         inputs={"x": X44, "in_channels": 1, "out_channels": 2, "pool": True, "patterned": True},
         expected=(ENC_NEXT_FIXED, CONV_FIXED), public=True, rtol=1e-4, atol=1e-5),
    Test("EncoderBlock, random input", call="encoder_block_output", inputs=random_encoder, rtol=1e-4, atol=1e-5),
    Test("bottleneck EncoderBlock (pool=False), random input", call="encoder_block_output",
         inputs=lambda rng: random_encoder(rng, pool=False), rtol=1e-4, atol=1e-5),
    # Exercise 3
    Test("DecoderBlock with fixed weights", call="decoder_block_output",
         inputs={"x": np.array([[[[1.0, -0.5], [0.25, 0.75]], [[0.5, 0.0], [-1.0, 1.0]]]]), "skip": X44,
                 "in_channels": 2, "skip_channels": 1, "out_channels": 2, "patterned": True},
         expected=DEC_FIXED, public=True, rtol=1e-4, atol=1e-5),
    Test("DecoderBlock, random input", call="decoder_block_output", inputs=random_decoder, rtol=1e-4, atol=1e-5),
    # Exercise 4
    Test("UNet parameter count and layer order", call="unet_summary",
         inputs={"in_channels": 1, "n_classes": 3, "base": 4, "height": 16, "width": 16},
         expected=UNET_SUMMARY_B4, public=True),
    Test("UNet parameter count, other sizes", call="unet_summary",
         inputs=lambda rng: {"in_channels": int(rng.integers(1, 4)), "n_classes": int(rng.integers(2, 6)),
                             "base": int(rng.integers(2, 7)), "height": 8, "width": 12}),
    Test("UNet logits with fixed weights", call="unet_output",
         inputs={"x": X44.repeat(2, axis=2).repeat(2, axis=3), "in_channels": 1, "n_classes": 3, "base": 2,
                 "patterned": True},
         public=True, rtol=1e-4, atol=1e-5),
    Test("UNet, random input and initialization", call="unet_output", inputs=random_unet, rtol=1e-4, atol=1e-5),
    # Exercise 5
    Test("loss of all-zero logits", call="loss_and_grad",
         inputs={"logits": np.zeros((1, 3, 2, 2)), "masks": np.array([[[0, 2], [1, 1]]])},
         expected=_loss_expected_zeros(), public=True, rtol=1e-5, atol=1e-6),
    Test("loss of a two-pixel example", call="loss_and_grad",
         inputs={"logits": np.array([[[[2.0, 0.0]], [[0.0, 0.0]]]]), "masks": np.array([[[0, 1]]])},
         expected={"loss": (np.log1p(np.exp(-2.0)) + np.log(2.0)) / 2,
                   "grad": np.array([[[[-1 / (1 + np.exp(2.0)) / 2, 0.25]], [[1 / (1 + np.exp(2.0)) / 2, -0.25]]]])}, public=True, rtol=1e-5, atol=1e-6),
    Test("loss, random logits", call="loss_and_grad", inputs=random_loss, rtol=1e-4, atol=1e-6),
    # Exercise 6
    Test("train a tiny U-Net for 10 steps", call="train_and_score",
         inputs={"images": TRAIN_X, "masks": TRAIN_Y, "steps": 10, "lr": 0.05, "base": 4},
         expected=TRAIN_FIXED, public=True, rtol=1e-4, atol=1e-6),
    Test("train on random shapes", call="train_and_score", inputs=random_train, rtol=1e-4, atol=1e-6),
    # Exercise 7
    Test("predict a 2x2 mask", call="predicted_masks",
         inputs={"logits": np.array([[[[0.1, 2.0], [0.0, -1.0]], [[0.3, 0.0], [0.5, -2.0]], [[0.2, 1.0], [0.4, -0.5]]]])},
         expected=np.array([[[1, 0], [1, 2]]]), public=True),
    Test("predict, random logits", call="predicted_masks", inputs=random_predict),
]


# ---------- reference copies used to build the known mistakes ----------

class _ConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels, padding=1, final_relu=True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=padding)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=padding)
        self.final_relu = final_relu

    def forward(self, x):
        x = self.conv2(F.relu(self.conv1(x)))
        return F.relu(x) if self.final_relu else x


class _ConvNoFinalRelu(_ConvBlock):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels, final_relu=False)


class _ConvNoPadding(_ConvBlock):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels, padding=0)


class _Encoder(nn.Module):
    def __init__(self, in_channels, out_channels, pool=True, mode="ok"):
        super().__init__()
        self.conv = _ConvBlock(in_channels, out_channels)
        self.pool, self.mode = pool, mode

    def forward(self, x):
        skip = self.conv(x)
        if not self.pool:
            return skip, skip
        if self.mode == "avg":
            return F.avg_pool2d(skip, 2), skip
        pooled = F.max_pool2d(skip, 2)
        return (skip, pooled) if self.mode == "swapped" else (pooled, skip)


class _EncoderSwapped(_Encoder):
    def __init__(self, in_channels, out_channels, pool=True):
        super().__init__(in_channels, out_channels, pool, mode="swapped")


class _EncoderAvg(_Encoder):
    def __init__(self, in_channels, out_channels, pool=True):
        super().__init__(in_channels, out_channels, pool, mode="avg")


class _Decoder(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels, skip_first=False):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        self.conv = _ConvBlock(out_channels + skip_channels, out_channels)
        self.skip_first = skip_first

    def forward(self, x, skip):
        x = self.up(x)
        x = torch.cat([skip, x] if self.skip_first else [x, skip], dim=1)
        return self.conv(x)


class _DecoderSkipFirst(_Decoder):
    def __init__(self, in_channels, skip_channels, out_channels):
        super().__init__(in_channels, skip_channels, out_channels, skip_first=True)


class _UNet(nn.Module):
    def __init__(self, in_channels=1, n_classes=3, base=8, softmax=False):
        super().__init__()
        self.enc1 = _Encoder(in_channels, base)
        self.enc2 = _Encoder(base, 2 * base)
        self.bottleneck = _Encoder(2 * base, 4 * base, pool=False)
        self.dec2 = _Decoder(4 * base, 2 * base, 2 * base)
        self.dec1 = _Decoder(2 * base, base, base)
        self.head = nn.Conv2d(base, n_classes, kernel_size=1)
        self.softmax = softmax

    def forward(self, x):
        x1, s1 = self.enc1(x)
        x2, s2 = self.enc2(x1)
        b, _ = self.bottleneck(x2)
        out = self.head(self.dec1(self.dec2(b, s2), s1))
        return torch.softmax(out, dim=1) if self.softmax else out


class _UNetSoftmax(_UNet):
    def __init__(self, in_channels=1, n_classes=3, base=8):
        super().__init__(in_channels, n_classes, base, softmax=True)


def _loss(logits, masks, mode="ok"):
    masks = masks.long().unsqueeze(1)
    if mode == "last_dim":
        return -torch.log_softmax(logits, dim=-1).gather(1, masks).mean()
    if mode == "sum":
        return -torch.log_softmax(logits, dim=1).gather(1, masks).sum()
    if mode == "no_log":
        return -torch.softmax(logits, dim=1).gather(1, masks).mean()
    if mode == "sign":
        return torch.log_softmax(logits, dim=1).gather(1, masks).mean()
    return -torch.log_softmax(logits, dim=1).gather(1, masks).mean()


class _Adam:
    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.sub_(self.lr * (m / (1 - self.b1 ** self.t)) / ((v / (1 - self.b2 ** self.t)).sqrt() + self.eps))


def _train_no_zero_grad(images, masks, steps, lr, base=4):
    model = _UNet(1, 3, base)
    opt = _Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = _loss(model(images), masks)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


MISTAKES = [
    Mistake(call="ConvBlock", name="no ReLU after the second convolution", impl=_ConvNoFinalRelu,
            hint="Both convolutions are followed by a ReLU: return relu(conv2(relu(conv1(x))))."),
    Mistake(call="ConvBlock", name="no padding", impl=_ConvNoPadding,
            hint="Without padding=1 each 3x3 convolution shrinks H and W by 2, and the skip connections no longer "
                 "match the decoder's shapes. Pass padding=1 to both nn.Conv2d."),
    Mistake(call="EncoderBlock", name="returned (skip, next)", impl=_EncoderSwapped,
            hint="forward returns (next, skip): first the pooled tensor for the next block, then the full-resolution "
                 "skip connection for the decoder."),
    Mistake(call="EncoderBlock", name="average pooling", impl=_EncoderAvg,
            hint="Downsample with 2x2 max pooling, F.max_pool2d(skip, 2), as in the original U-Net."),
    Mistake(call="DecoderBlock", name="concatenated skip first", impl=_DecoderSkipFirst,
            hint="Concatenate the upsampled tensor first and the skip connection second: torch.cat([up, skip], dim=1). "
                 "The order decides which convolution weights see which channels."),
    Mistake(call="UNet", name="softmax in forward", impl=_UNetSoftmax,
            hint="forward returns raw logits from the 1x1 head convolution; the loss applies log_softmax itself, "
                 "and a softmax here would be applied twice."),
    Mistake(call="pixel_cross_entropy", name="softmax over the width axis", impl=lambda logits, masks: _loss(logits, masks, "last_dim"),
            hint="In (N, C, H, W) the classes are on dim 1: use torch.log_softmax(logits, dim=1). dim=-1 normalizes "
                 "across the pixels of a row."),
    Mistake(call="pixel_cross_entropy", name="sum instead of mean", impl=lambda logits, masks: _loss(logits, masks, "sum"),
            hint="Average over all N*H*W pixels with .mean(); a sum makes the loss (and the learning rate's effect) "
                 "grow with the image size."),
    Mistake(call="pixel_cross_entropy", name="forgot the log", impl=lambda logits, masks: _loss(logits, masks, "no_log"),
            hint="Cross-entropy uses log-probabilities: torch.log_softmax, not torch.softmax."),
    Mistake(call="pixel_cross_entropy", name="forgot the minus sign", impl=lambda logits, masks: _loss(logits, masks, "sign"),
            hint="Log-probabilities are negative; the loss is minus their mean, so that it is positive and "
                 "decreases as the model improves."),
    Mistake(call="train_unet", name="forgot zero_grad", impl=_train_no_zero_grad,
            hint="PyTorch accumulates gradients in .grad. Call optimizer.zero_grad() before loss.backward() at every "
                 "step, or each step uses the sum of all previous gradients."),
    Mistake(call="predict_masks", name="returned the max logit", impl=lambda logits: torch.max(logits, dim=1).values,
            hint="The mask holds class indices: use torch.argmax(logits, dim=1), not the largest logit value."),
]
