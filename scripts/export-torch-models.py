#!/usr/bin/python3
"""Exports a family of PyTorch models to ONNX with reference outputs, for end-to-end engine tests.

Usage: /usr/bin/python3 scripts/export-torch-models.py OUTDIR [--only name,name]

Writes OUTDIR/<name>/model.onnx and OUTDIR/<name>/test_data_set_0/{input_K,output_K}.pb (the
ONNX backend-test layout), OUTDIR/models.tsv (name, opset, what it covers) and, last of all,
OUTDIR/export-script.sha256 (the hash of this file), which tells test/torch-models.test.ts that
the folder is complete and current. Weights are random but seeded; BatchNorm statistics are
calibrated on random data so BatchNorm changes the result; references are computed by torch in
eval mode in the same run. Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import argparse
import hashlib
import math
import os
import shutil
import sys
import time

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper
from torch import nn

SEED = 1234
NUM_CLASSES = 100  # a smaller classifier keeps the files small; the heads stay ordinary Gemm/MatMul
EVAL = torch.onnx.TrainingMode.EVAL
# PRESERVE on a model in eval mode keeps BatchNormalization nodes instead of folding them into Conv.
KEEP_BN = torch.onnx.TrainingMode.PRESERVE


# --- CNNs -----------------------------------------------------------------------------------------


def calibrate_batchnorm(model: nn.Module, size: int) -> None:
    """Gives every BatchNorm non-trivial affine parameters and running statistics.

    Default statistics (mean 0, var 1) and affine (1, 0) would make BatchNorm an identity and hide
    bugs; statistics measured on random batches keep activations in a realistic range instead of
    exploding through dozens of layers.
    """
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0.0, 0.2)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(4, 3, size, size) * 0.8 + 0.1)
    model.eval()


def vision(builder, size: int):
    def make():
        model = builder(num_classes=NUM_CLASSES)
        calibrate_batchnorm(model, size)
        return model, (torch.randn(1, 3, size, size),)

    return make


# --- BERT-style encoder ---------------------------------------------------------------------------


class BertLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, ffn: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(3))
        self.out = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden, eps=1e-12)
        self.up = nn.Linear(hidden, ffn)
        self.down = nn.Linear(ffn, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=1e-12)
        self.gelu = nn.GELU()  # the exact (erf) form, as in BERT

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        b, s, h = x.shape
        d = h // self.heads
        q, k, v = (proj(x).view(b, s, self.heads, d).transpose(1, 2) for proj in self.qkv)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + additive_mask
        context = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, s, h)
        x = self.norm1(x + self.out(context))
        return self.norm2(x + self.down(self.gelu(self.up(x))))


class TinyBert(nn.Module):
    def __init__(self, vocab=120, hidden=64, heads=4, ffn=256, layers=2, max_len=32):
        super().__init__()
        self.words = nn.Embedding(vocab, hidden)
        self.positions = nn.Embedding(max_len, hidden)
        self.types = nn.Embedding(2, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, ffn) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.register_buffer("position_ids", torch.arange(max_len).unsqueeze(0), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        seq = input_ids.shape[1]
        x = self.words(input_ids) + self.positions(self.position_ids[:, :seq]) + self.types(torch.zeros_like(input_ids))
        x = self.norm(x)
        # 1 = attend, 0 = padding; padding keys get a large negative score before Softmax.
        additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, additive)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


def randomize_norms(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias, 0.0, 0.1)
        elif isinstance(m, RMSNorm):
            nn.init.uniform_(m.weight, 0.5, 1.5)


def bert_inputs(batch: int, seq: int, vocab: int = 120):
    ids = torch.randint(0, vocab, (batch, seq), dtype=torch.int64)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    # Pad the tail of every row but the first, so the mask really changes the scores.
    for row in range(1, batch):
        mask[row, seq - 1 - row % seq :] = 0
    return ids, mask


def bert(batch: int, seq: int):
    def make():
        model = TinyBert()
        randomize_norms(model)
        model.eval()
        return model, bert_inputs(batch, seq)

    return make


# --- Llama-style decoder --------------------------------------------------------------------------


class RMSNorm(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, hidden: int, heads: int, kv_heads: int, ffn: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.q = nn.Linear(hidden, heads * self.head_dim, bias=False)
        self.k = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.v = nn.Linear(hidden, kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(heads * self.head_dim, hidden, bias=False)
        self.gate = nn.Linear(hidden, ffn, bias=False)
        self.up = nn.Linear(hidden, ffn, bias=False)
        self.down = nn.Linear(ffn, hidden, bias=False)
        self.attn_norm = RMSNorm(hidden)
        self.mlp_norm = RMSNorm(hidden)

    def repeat_kv(self, x: torch.Tensor) -> torch.Tensor:
        # Grouped-query attention: each key/value head serves heads // kv_heads query heads.
        b, kvh, s, d = x.shape
        n_rep = self.heads // kvh
        return x[:, :, None].expand(b, kvh, n_rep, s, d).reshape(b, kvh * n_rep, s, d)

    def forward(self, x, cos, sin, causal_fill):
        b, s, _ = x.shape
        h = self.attn_norm(x)
        q = self.q(h).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = self.repeat_kv(k), self.repeat_kv(v)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + causal_fill
        attn = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, s, -1)
        x = x + self.o(attn)
        h = self.mlp_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class TinyLlama(nn.Module):
    def __init__(self, vocab=128, hidden=64, heads=4, kv_heads=2, ffn=176, layers=2, theta=10000.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList(LlamaLayer(hidden, heads, kv_heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(hidden)
        self.lm_head = nn.Linear(hidden, vocab, bias=False)
        head_dim = hidden // heads
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, head_dim, 2).float() / head_dim), persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        # Positions come from the data (CumSum), so Sin/Cos and the causal comparison stay in the
        # graph instead of being constant-folded away.
        positions = torch.cumsum(torch.ones_like(input_ids), dim=1) - 1
        freqs = positions[:, :, None].float() * self.inv_freq
        angles = torch.cat((freqs, freqs), dim=-1)[:, None]  # [b, 1, s, head_dim]
        cos, sin = angles.cos(), angles.sin()
        future = positions[:, None, None, :] > positions[:, None, :, None]  # key after query
        causal_fill = torch.where(future, torch.tensor(float("-inf")), torch.tensor(0.0))
        x = self.embed(input_ids)
        for layer in self.layers:
            x = layer(x, cos, sin, causal_fill)
        return self.lm_head(self.norm(x))


def llama(batch: int, seq: int):
    def make():
        model = TinyLlama()
        randomize_norms(model)
        model.eval()
        return model, (torch.randint(0, 128, (batch, seq), dtype=torch.int64),)

    return make


# --- the family -----------------------------------------------------------------------------------

tv = torchvision.models
# name: (make, opset, input names, output names, training mode, dynamic axes, reference inputs, what it covers)
# For the dynamic models the reference inputs differ in shape from the traced example, so the
# engine must really resolve the symbolic dims.
MODELS = {
    "resnet18": (vision(tv.resnet18, 112), 13, ["input"], ["logits"], KEEP_BN, None, None, "residual CNN, BatchNormalization kept"),
    "mobilenet_v2": (vision(tv.mobilenet_v2, 96), 14, ["input"], ["logits"], EVAL, None, None, "depthwise, ReLU6 as Clip, BN folded"),
    "mobilenet_v3_small": (vision(tv.mobilenet_v3_small, 96), 15, ["input"], ["logits"], KEEP_BN, None, None, "HardSwish, squeeze-excite"),
    "squeezenet1_1": (vision(tv.squeezenet1_1, 96), 16, ["input"], ["logits"], EVAL, None, None, "fire modules, ceil-mode MaxPool"),
    "shufflenet_v2_x0_5": (vision(tv.shufflenet_v2_x0_5, 96), 17, ["input"], ["logits"], EVAL, None, None, "channel shuffle, Split"),
    "efficientnet_b0": (vision(tv.efficientnet_b0, 96), 13, ["input"], ["logits"], EVAL, None, None, "SiLU, squeeze-excite"),
    "regnet_y_400mf": (vision(tv.regnet_y_400mf, 96), 16, ["input"], ["logits"], KEEP_BN, None, None, "grouped convs, squeeze-excite"),
    "bert_tiny_op14": (bert(2, 8), 14, ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"], EVAL, None, None, "LayerNorm decomposed, erf GELU, attention mask"),
    "bert_tiny_op17": (bert(2, 8), 17, ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"], EVAL, None, None, "LayerNormalization op"),
    "llama_tiny_op14": (llama(1, 8), 14, ["input_ids"], ["logits"], EVAL, None, None, "RMSNorm, RoPE, causal mask, GQA, SwiGLU"),
    "llama_tiny_op17": (llama(1, 8), 17, ["input_ids"], ["logits"], EVAL, None, None, "same at opset 17"),
    "bert_tiny_dynamic": (
        bert(1, 6), 15, ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"], EVAL,
        {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
         "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}},
        lambda: bert_inputs(3, 11), "symbolic batch/sequence dims, shape arithmetic in the graph",
    ),
    "llama_tiny_dynamic": (
        llama(1, 8), 17, ["input_ids"], ["logits"], EVAL,
        {"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}},
        lambda: (torch.randint(0, 128, (2, 5), dtype=torch.int64),), "symbolic dims through RoPE, GQA and the causal mask",
    ),
}


def save_tensor(array: np.ndarray, name: str, file: str) -> None:
    with open(file, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def export(name: str, out_dir: str) -> float:
    make, opset, input_names, output_names, training, dynamic_axes, reference_inputs, _ = MODELS[name]
    # A per-model seed keeps each model's weights independent of which others are exported.
    torch.manual_seed(SEED + sum(name.encode()))
    model, example = make()
    case = os.path.join(out_dir, name)
    shutil.rmtree(case, ignore_errors=True)
    os.makedirs(os.path.join(case, "test_data_set_0"))
    model_file = os.path.join(case, "model.onnx")
    torch.onnx.export(
        model, example, model_file, opset_version=opset, input_names=input_names, output_names=output_names,
        do_constant_folding=True, training=training, dynamic_axes=dynamic_axes,
    )
    onnx.checker.check_model(onnx.load(model_file))
    inputs = reference_inputs() if reference_inputs else example
    with torch.no_grad():
        outputs = model(*inputs)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    for k, (n, t) in enumerate(zip(input_names, inputs)):
        save_tensor(t.numpy(), n, os.path.join(case, "test_data_set_0", f"input_{k}.pb"))
    for k, (n, t) in enumerate(zip(output_names, outputs)):
        save_tensor(t.numpy(), n, os.path.join(case, "test_data_set_0", f"output_{k}.pb"))
    return os.path.getsize(model_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--only", help="comma-separated model names (no stamp is written)")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(MODELS)}")

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    out_dir = os.path.abspath(args.outdir)
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, "export-script.sha256")
    if os.path.exists(stamp):
        os.remove(stamp)  # incomplete until every model below is written again
    t0 = time.time()
    for name in names:
        t = time.time()
        size = export(name, out_dir)
        print(f"{name}: opset {MODELS[name][1]}, {size / 1e6:.1f} MB, {time.time() - t:.1f}s", flush=True)
    if args.only:
        return
    with open(os.path.join(out_dir, "models.tsv"), "w") as f:
        f.write("name\topset\tcovers\n")
        for name, spec in MODELS.items():
            f.write(f"{name}\t{spec[1]}\t{spec[7]}\n")
    with open(__file__, "rb") as src, open(stamp, "w") as f:
        f.write(hashlib.sha256(src.read()).hexdigest() + "\n")
    print(f"exported {len(names)} models to {out_dir} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
