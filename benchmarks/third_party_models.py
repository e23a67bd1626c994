"""Sites and findings of gradlab.watch on third-party models built from small configs.

    python benchmarks/third_party_models.py [--steps 60]

GPT-2, BERT, ViT, T5 and Llama (Hugging Face transformers, random weights from small configs, no
download) train on a synthetic task with AdamW (lr 1e-3 with a 10-step linear warm-up, clipping
at 1.0): a healthy run. Prints, per model, the activation sites the watch found (with their
activation) and every finding.
"""

from __future__ import annotations

import argparse
import collections
import warnings

import torch

import gradlab


def models():
    import transformers as T

    small = dict(vocab_size=64)
    torch.manual_seed(0)
    yield "gpt2", T.GPT2LMHeadModel(T.GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=32, **small)), "lm"
    torch.manual_seed(0)
    yield "bert", T.BertForMaskedLM(T.BertConfig(num_hidden_layers=2, hidden_size=32, num_attention_heads=2,
                                                 intermediate_size=64, max_position_embeddings=32, **small)), "lm"
    torch.manual_seed(0)
    yield "vit", T.ViTForImageClassification(T.ViTConfig(image_size=16, patch_size=4, num_channels=3, hidden_size=32,
                                                         num_hidden_layers=2, num_attention_heads=2,
                                                         intermediate_size=64, num_labels=4)), "image"
    torch.manual_seed(0)
    yield "t5", T.T5ForConditionalGeneration(T.T5Config(d_model=32, d_ff=64, d_kv=16, num_layers=2, num_heads=2,
                                                        feed_forward_proj="gated-gelu", decoder_start_token_id=0,
                                                        **small)), "seq2seq"
    torch.manual_seed(0)
    yield "llama", T.LlamaForCausalLM(T.LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                    num_attention_heads=2, num_key_value_heads=2,
                                                    max_position_embeddings=32, **small)), "lm"


def batch(kind: str, g: torch.Generator) -> dict:
    if kind == "image":
        labels = torch.randint(0, 4, (16,), generator=g)
        x = torch.randn(16, 3, 16, 16, generator=g) + labels.view(-1, 1, 1, 1).float()  # learnable
        return {"pixel_values": x, "labels": labels}
    # a learnable counting task: each token is the previous one plus one (mod 16)
    ids = (torch.randint(0, 16, (16, 1), generator=g) + torch.arange(16)) % 16
    if kind == "seq2seq":
        return {"input_ids": ids, "labels": ids}
    return {"input_ids": ids, "labels": ids}


def run(name, model, kind, steps: int) -> None:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
    model.train()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gradlab.watch(model, optimizer=opt, scheduler=sched, every=5) as w:
            for _ in range(steps):
                out = model(**batch(kind, g))
                opt.zero_grad()
                out.loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                w.log(loss=out.loss)
        findings = w.findings(context={"train.clip_norm": 1.0})
    sites = [(l.path, l.act) for l in w.layers if l.kind == "activation"]
    acts = collections.Counter(a for _, a in sites)
    loss = w.vitals.series("", "loss")[1]
    print(f"== {name}: {len(sites)} activation sites {dict(acts)}; loss {loss[0]:.3f} -> {loss[-1]:.3f}")
    for path, act in sites:
        print(f"   site {path} ({act})")
    print(f"   findings: {len(findings)}")
    for f in findings:
        print("   " + f.headline() + ": " + f.message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(2)
    for name, model, kind in models():
        run(name, model, kind, args.steps)


if __name__ == "__main__":
    main()
