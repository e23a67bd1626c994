"""Sites and findings of gradlab.watch on third-party models built from small configs.

    python benchmarks/third_party_models.py [--steps 60] [--more]

GPT-2, BERT, ViT, T5 and Llama (Hugging Face transformers, random weights from small configs, no
download) train on a synthetic task with AdamW (lr 1e-3 with a 10-step linear warm-up, clipping
at 1.0): a healthy run. ``--more`` adds OPT, BLOOM, GPT-NeoX, Falcon, Mistral, Qwen2, Gemma, Phi,
GPT-J, DistilBERT, ELECTRA, MobileBERT, BART and DeBERTa-v2. Prints, per model, the activation sites the watch found (with their
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


def more_models():
    import transformers as T

    def lm(config: str, model: str, **kw):
        torch.manual_seed(0)
        return getattr(T, model)(getattr(T, config)(vocab_size=64, **kw))

    layers = dict(num_hidden_layers=2, num_attention_heads=2)
    decoder = dict(hidden_size=32, intermediate_size=64, max_position_embeddings=32, **layers)
    yield "opt", lm("OPTConfig", "OPTForCausalLM", ffn_dim=64, word_embed_proj_dim=32, hidden_size=32,
                    max_position_embeddings=32, **layers), "lm"
    yield "bloom", lm("BloomConfig", "BloomForCausalLM", hidden_size=32, n_layer=2, n_head=2), "lm"
    yield "gpt_neox", lm("GPTNeoXConfig", "GPTNeoXForCausalLM", **decoder), "lm"
    yield "falcon", lm("FalconConfig", "FalconForCausalLM", hidden_size=32, **layers), "lm"
    yield "mistral", lm("MistralConfig", "MistralForCausalLM", num_key_value_heads=1, **decoder), "lm"
    yield "qwen2", lm("Qwen2Config", "Qwen2ForCausalLM", num_key_value_heads=1, **decoder), "lm"
    yield "gemma", lm("GemmaConfig", "GemmaForCausalLM", num_key_value_heads=1, head_dim=16, **decoder), "lm"
    yield "phi", lm("PhiConfig", "PhiForCausalLM", **decoder), "lm"
    yield "gptj", lm("GPTJConfig", "GPTJForCausalLM", n_embd=32, n_layer=2, n_head=2, n_positions=32,
                     rotary_dim=8), "lm"
    yield "distilbert", lm("DistilBertConfig", "DistilBertForMaskedLM", dim=32, hidden_dim=64, n_layers=2,
                           n_heads=2, max_position_embeddings=32), "lm"
    yield "electra", lm("ElectraConfig", "ElectraForMaskedLM", embedding_size=32, **decoder), "lm"
    yield "mobilebert", lm("MobileBertConfig", "MobileBertForMaskedLM", embedding_size=16, intra_bottleneck_size=16,
                           true_hidden_size=16, num_feedforward_networks=2,
                           **{**decoder, "intermediate_size": 32}), "lm"
    yield "bart", lm("BartConfig", "BartForConditionalGeneration", d_model=32, encoder_layers=1, decoder_layers=1,
                     encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                     decoder_ffn_dim=64, max_position_embeddings=32), "seq2seq"
    yield "deberta_v2", lm("DebertaV2Config", "DebertaV2ForMaskedLM", **decoder), "lm"


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
    parser.add_argument("--more", action="store_true", help="fourteen more architectures")
    args = parser.parse_args()
    torch.set_num_threads(2)
    import itertools

    for name, model, kind in itertools.chain(models(), more_models() if args.more else ()):
        run(name, model, kind, args.steps)


if __name__ == "__main__":
    main()
