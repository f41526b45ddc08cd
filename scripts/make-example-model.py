#!/usr/bin/python3
"""Trains the bundled example model (examples/shapes-mobilenetv2) from scratch and exports it.

A MobileNetV2 (torchvision's, with a shortened block table: inverted residuals, depthwise convs,
BatchNorm, ReLU6) learns to tell four procedurally drawn shapes apart: circle, square, triangle, cross. No
download is needed: every image is generated here from a fixed seed, so the run is
reproducible on a CPU in a few minutes.

Usage: /usr/bin/python3 scripts/make-example-model.py [--out examples/shapes-mobilenetv2]
Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import argparse
import math
import os
import time

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

CLASSES = ["circle", "square", "triangle", "cross"]
SEED = 20240611
TRAIN_SIZE = 48  # training resolution; the export is fully convolutional
EXPORT_SIZE = 160  # a larger export resolution makes a better profiling example
TRAIN_IMAGES = 12000
VAL_IMAGES = 1000
STEPS = 1600
PIXEL_RADIUS_AT_EXPORT = (8 / EXPORT_SIZE, 18 / EXPORT_SIZE)
BATCH = 32
THREADS = 2
# MobileNetV2's inverted-residual table (expansion t, channels c, repeats n, stride s), shortened
# from torchvision's default (17 blocks) to 9 so that it trains in minutes on a CPU from scratch.
BLOCKS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 1, 1], [6, 160, 1, 2]]


def draw_shapes(rng: np.random.Generator, n: int, size: int, radius_range=(0.12, 0.38)):
    """Returns (images float32 [n,3,size,size] in 0..1, labels int64 [n]).

    radius_range is the shape's radius as a fraction of the image side.

    Shapes are drawn as signed masks over a pixel grid: random class, centre, size, rotation,
    stroke thickness (for the cross), foreground and background colour, plus a gradient and
    Gaussian noise so that colour alone never gives the class away.
    """
    labels = rng.integers(0, len(CLASSES), n)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    ys /= size
    xs /= size
    images = np.empty((n, 3, size, size), np.float32)
    for i in range(n):
        radius = rng.uniform(*radius_range)
        cy, cx = rng.uniform(radius, 1 - radius, 2)
        angle = rng.uniform(0, 2 * math.pi)
        c, s = math.cos(angle), math.sin(angle)
        # Coordinates in the shape's own frame, in units of its radius.
        u = ((xs - cx) * c + (ys - cy) * s) / radius
        v = (-(xs - cx) * s + (ys - cy) * c) / radius
        kind = labels[i]
        if kind == 0:
            mask = u * u + v * v <= 1.0
        elif kind == 1:
            mask = np.maximum(np.abs(u), np.abs(v)) <= 0.75
        elif kind == 2:
            # Equilateral triangle inscribed in the unit circle: three half-planes.
            mask = np.ones_like(u, dtype=bool)
            for k in range(3):
                a = 2 * math.pi * k / 3 + math.pi / 2
                mask &= u * math.cos(a) + v * math.sin(a) >= -0.5
        else:
            bar = rng.uniform(0.18, 0.32)
            mask = ((np.abs(u) <= bar) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= bar) & (np.abs(u) <= 1.0))
        bg = rng.uniform(0, 1, 3).astype(np.float32)
        fg = rng.uniform(0, 1, 3).astype(np.float32)
        # Keep the shape visible: push the foreground away from a too-similar background.
        while np.abs(fg - bg).sum() < 0.6:
            fg = rng.uniform(0, 1, 3).astype(np.float32)
        gradient = rng.uniform(-0.15, 0.15, 2).astype(np.float32)
        shade = gradient[0] * (xs - 0.5) + gradient[1] * (ys - 0.5)
        img = np.where(mask[None], fg[:, None, None], bg[:, None, None]) + shade[None]
        img += rng.normal(0, rng.uniform(0.02, 0.1), img.shape).astype(np.float32)
        images[i] = np.clip(img, 0, 1)
    return images, labels.astype(np.int64)


def build_model() -> torch.nn.Module:
    return torchvision.models.mobilenet_v2(num_classes=len(CLASSES), inverted_residual_setting=BLOCKS, dropout=0.1)


def accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for k in range(0, len(images), 256):
            logits = model(torch.from_numpy(images[k : k + 256]))
            correct += int((logits.argmax(1).numpy() == labels[k : k + 256]).sum())
    return correct / len(images)


def train(model: torch.nn.Module, rng: np.random.Generator):
    train_x, train_y = draw_shapes(rng, TRAIN_IMAGES, TRAIN_SIZE)
    val_x, val_y = draw_shapes(rng, VAL_IMAGES, TRAIN_SIZE)
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=STEPS, pct_start=0.2)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.time()
    model.train()
    total = 0.0
    for step in range(1, STEPS + 1):
        idx = rng.integers(0, TRAIN_IMAGES, BATCH)
        x = torch.from_numpy(train_x[idx])
        # Flips keep the classes (all four shapes are symmetric) and add variety for free.
        if rng.random() < 0.5:
            x = x.flip(3)
        loss = loss_fn(model(x), torch.from_numpy(train_y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
        if step % 250 == 0:
            acc = accuracy(model, val_x, val_y)
            model.train()
            print(f"step {step}/{STEPS}: loss {total / 250:.4f}, val accuracy {acc:.4f} ({time.time() - t0:.0f}s)", flush=True)
            total = 0.0
    return accuracy(model, train_x, train_y), accuracy(model, val_x, val_y)


def save_tensor(array: np.ndarray, name: str, file: str) -> None:
    with open(file, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "examples", "shapes-mobilenetv2"))
    args = parser.parse_args()

    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(SEED)

    model = build_model()
    train_acc, val_acc = train(model, rng)
    model.eval()

    # Held-out accuracy at the export resolution, on shapes of the pixel size seen in training
    # (6..18 px radius at 48x48): a CNN is translation- but not scale-invariant, so the larger image
    # means more background around the shape, not a bigger shape.
    big_x, big_y = draw_shapes(rng, 300, EXPORT_SIZE, PIXEL_RADIUS_AT_EXPORT)
    big_acc = accuracy(model, big_x, big_y)
    print(f"train accuracy {train_acc:.4f}, val accuracy {val_acc:.4f} ({TRAIN_SIZE}x{TRAIN_SIZE}), {big_acc:.4f} at {EXPORT_SIZE}x{EXPORT_SIZE}")

    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    # The test image is the first held-out one the model gets right with a clear margin, so that a
    # small numeric difference in a faster execution mode cannot flip the predicted class.
    with torch.no_grad():
        all_logits = model(torch.from_numpy(big_x)).numpy()
    top2 = np.sort(all_logits, axis=1)[:, -2:]
    clear = (all_logits.argmax(1) == big_y) & (top2[:, 1] - top2[:, 0] >= 1.0)
    pick = int(np.argmax(clear)) if clear.any() else 0
    sample = big_x[pick : pick + 1].copy()
    with torch.no_grad():
        logits = model(torch.from_numpy(sample)).numpy()
    model_file = os.path.join(out, "model.onnx")
    torch.onnx.export(
        model,
        torch.from_numpy(sample),
        model_file,
        opset_version=13,
        input_names=["image"],
        output_names=["logits"],
        do_constant_folding=True,
        # PRESERVE on a model in eval mode keeps the BatchNormalization nodes (inference form), so
        # graph mode's Conv+BatchNorm folding has something to do.
        training=torch.onnx.TrainingMode.PRESERVE,
    )
    onnx.checker.check_model(onnx.load(model_file))
    save_tensor(sample, "image", os.path.join(out, "test_data_set_0", "input_0.pb"))
    save_tensor(logits, "logits", os.path.join(out, "test_data_set_0", "output_0.pb"))
    with open(os.path.join(out, "labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    print(f"sample image #{pick}: class {CLASSES[big_y[pick]]}, predicted {CLASSES[int(logits.argmax())]}")
    print(f"wrote {model_file} ({os.path.getsize(model_file)} bytes)")


if __name__ == "__main__":
    main()
