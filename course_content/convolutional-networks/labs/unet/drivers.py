"""Drivers for the U-Net lab: build the learner's modules under the grader's seed and run them."""
import numpy as np
import torch


def _f(x):
    return torch.as_tensor(np.asarray(x), dtype=torch.float32)


def _long(x):
    return torch.as_tensor(np.asarray(x), dtype=torch.int64)


def _patterned(module):
    """Overwrite every parameter with a fixed pattern, so outputs do not depend on initialization."""
    with torch.no_grad():
        for p in module.parameters():
            n = p.numel()
            signs = torch.where(torch.arange(n) % 3 == 1, -1.0, 1.0)
            p.copy_((torch.linspace(0.05, 0.5, n) * signs).reshape(p.shape))
    return module


def conv_block_output(ns, x, in_channels, out_channels, patterned=False):
    block = ns["ConvBlock"](in_channels, out_channels)
    if patterned:
        _patterned(block)
    with torch.no_grad():
        return block(_f(x))


def encoder_block_output(ns, x, in_channels, out_channels, pool=True, patterned=False):
    block = ns["EncoderBlock"](in_channels, out_channels, pool=pool)
    if patterned:
        _patterned(block)
    with torch.no_grad():
        next_x, skip = block(_f(x))
    return next_x, skip


def decoder_block_output(ns, x, skip, in_channels, skip_channels, out_channels, patterned=False):
    block = ns["DecoderBlock"](in_channels, skip_channels, out_channels)
    if patterned:
        _patterned(block)
    with torch.no_grad():
        return block(_f(x), _f(skip))


def unet_output(ns, x, in_channels, n_classes, base, patterned=False):
    model = ns["UNet"](in_channels, n_classes, base)
    if patterned:
        _patterned(model)
    with torch.no_grad():
        return model(_f(x))


def unet_summary(ns, in_channels, n_classes, base, height, width):
    """Parameter count, parameter shapes in creation order, and output shape."""
    model = ns["UNet"](in_channels, n_classes, base)
    with torch.no_grad():
        out = model(torch.zeros(1, in_channels, height, width))
    return {"n_params": int(sum(p.numel() for p in model.parameters())),
            "param_shapes": [list(p.shape) for p in model.parameters()],
            "output_shape": list(out.shape)}


def loss_and_grad(ns, logits, masks):
    """The loss value and its gradient with respect to the logits (checks that autograd works)."""
    z = _f(logits).requires_grad_(True)
    loss = ns["pixel_cross_entropy"](z, _long(masks))
    loss.backward()
    value = float(loss.detach()) if torch.is_tensor(loss) else float(loss)
    return {"loss": value, "grad": z.grad}


def train_and_score(ns, images, masks, steps, lr, base):
    """Train with the learner's train_unet; report the losses and the final training pixel accuracy."""
    x, y = _f(images), _long(masks)
    model, losses = ns["train_unet"](x, y, steps, lr, base)
    with torch.no_grad():
        pred = torch.argmax(model(x), dim=1)
    return {"losses": np.array([float(v) for v in losses]),
            "pixel_accuracy": float((pred == y).float().mean())}


def predicted_masks(ns, logits):
    return ns["predict_masks"](_f(logits))
