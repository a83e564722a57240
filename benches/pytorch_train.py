"""PyTorch eager reference for `sense bench train --pytorch PYTHON`.

The same model and step as the Rust benchmark: 4 Llama-style layers (RMSNorm, rotary positions,
SiLU-gated MLP, no biases), d_model 256, 4 heads, d_ff 768, byte vocabulary (259), f32 on CPU,
a language-model step (forward, backward, AdamW) on random tokens. Prints one JSON object per
measurement, like `sense bench train --single --json`.

With --serve (how `sense bench train --pytorch` runs it, alternating with its own step): prints
{"ready": true} once the model is built, then runs one step per line read from standard input
and prints its measurement, until standard input closes.

Usage: python3 benches/pytorch_train.py [--batch 16] [--context 256] [--steps 3] [--threads N]
       [--serve]
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.attn_norm = torch.nn.RMSNorm(d, eps=1e-5)
        self.qkv = torch.nn.Linear(d, 3 * d, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.mlp_norm = torch.nn.RMSNorm(d, eps=1e-5)
        self.gate = torch.nn.Linear(d, ff, bias=False)
        self.up = torch.nn.Linear(d, ff, bias=False)
        self.down = torch.nn.Linear(ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(self.attn_norm(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, hd).transpose(1, 2) for z in (q, k, v))

        def rope(z):
            a, c = z[..., : hd // 2], z[..., hd // 2 :]
            return torch.cat([a * cos - c * sin, c * cos + a * sin], dim=-1)

        q, k = rope(q), rope(k)
        # Eager attention, as in the composite candle baseline.
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        y = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.o(y)
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self, vocab=259, d=256, layers=4, heads=4, ff=768, ctx=257):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d)
        self.blocks = torch.nn.ModuleList(Block(d, heads, ff) for _ in range(layers))
        self.norm = torch.nn.RMSNorm(d, eps=1e-5)
        self.head = torch.nn.Linear(d, vocab, bias=False)
        hd = d // heads
        inv = 1.0 / (10000 ** (torch.arange(0, hd // 2) * 2.0 / hd))
        ang = torch.arange(ctx)[:, None] * inv[None, :]
        self.register_buffer("cos", ang.cos())
        self.register_buffer("sin", ang.sin())

    def forward(self, ids):
        t = ids.shape[1]
        mask = torch.full((t, t), -1e9).triu(1)
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos[:t], self.sin[:t], mask)
        return self.head(self.norm(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--serve", action="store_true")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Model(ctx=a.context + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    ids = torch.randint(32, 127, (a.batch, a.context + 1))
    tokens = a.batch * a.context

    def step():
        t0 = time.perf_counter()
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return time.perf_counter() - t0

    def row(secs):
        return json.dumps({
            "case": f"sft step (fwd+bwd+adamw) [pytorch {torch.__version__} eager, {torch.get_num_threads()} threads]",
            "tokens_per_s": tokens / secs,
            "seconds_per_step": secs,
        })

    if a.serve:
        print(json.dumps({"ready": True}), flush=True)
        for _ in sys.stdin:
            print(row(step()), flush=True)
        return
    best = float("inf")
    for i in range(a.steps + 1):
        secs = step()
        if i > 0:
            best = min(best, secs)
    print(row(best))


if __name__ == "__main__":
    main()
