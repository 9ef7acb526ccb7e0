"""Turn a shipped ShapesWorld GGUF pair back into a training checkpoint (the inverse of export.py).

    python3 tools/shapesworld/import_gguf.py --llm models/shapesworld/shapesworld-llm.gguf \
        --mmproj models/shapesworld/shapesworld-mmproj.gguf --out /tmp/sw/shipped

Writes <out>/ckpt.pt (weights and config; usable as train_llm.py's --vision and --init) and <out>/bpe.json.
Checkpoints live outside the repository and do not outlive a machine; the committed GGUF pair does, so this is
how training continues from the shipped model. The F16 weights come back exactly (export.py re-writes the same
tensors); the training-only read-out heads are not in the GGUFs and start fresh.
"""
import argparse
import os
import sys

import gguf
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import LLM_MATRICES, LLM_NORMS, VISION_BLOCK  # noqa: E402
from model import Config, MiniCPMV  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402


def read(path):
    """(scalar / string fields, tensors as float32 torch tensors in the writer's numpy shape)."""
    r = gguf.GGUFReader(path)
    fields = {}
    for name, f in r.fields.items():
        is_array = bool(f.types) and f.types[0] == gguf.GGUFValueType.ARRAY
        if not f.types or is_array and f.types[-1] != gguf.GGUFValueType.STRING:
            continue  # numeric arrays (token types, image mean / std) are not needed here
        if is_array:
            fields[name] = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        elif f.types[0] == gguf.GGUFValueType.STRING:
            fields[name] = bytes(f.parts[f.data[0]]).decode("utf-8")
        else:
            fields[name] = f.parts[f.data[0]].item()
    tensors = {}
    for t in r.tensors:
        if t.tensor_type not in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            raise SystemExit(f"{path}: {t.name} is {t.tensor_type.name}; only F32 / F16 pairs can be imported")
        shape = [int(n) for n in reversed(t.shape)]
        tensors[t.name] = torch.from_numpy(np.asarray(t.data, dtype=np.float32).reshape(shape).copy())
    return fields, tensors


def config_of(llm, mm, vocab):
    c = Config()
    c.hidden, c.layers = llm["qwen3.embedding_length"], llm["qwen3.block_count"]
    c.heads, c.kv_heads = llm["qwen3.attention.head_count"], llm["qwen3.attention.head_count_kv"]
    c.head_dim, c.ffn = llm["qwen3.attention.key_length"], llm["qwen3.feed_forward_length"]
    c.rope_theta, c.rms_eps = llm["qwen3.rope.freq_base"], llm["qwen3.attention.layer_norm_rms_epsilon"]
    c.vocab = vocab
    c.v_hidden, c.v_layers = mm["clip.vision.embedding_length"], mm["clip.vision.block_count"]
    c.v_heads, c.v_ffn = mm["clip.vision.attention.head_count"], mm["clip.vision.feed_forward_length"]
    c.patch, c.ln_eps = mm["clip.vision.patch_size"], mm["clip.vision.attention.layer_norm_epsilon"]
    c.query_num = mm["clip.minicpmv_query_num"]
    return c


def state_dict(lt, mt, c: Config):
    """export.write_llm / write_mmproj run backwards."""
    sd = {"llm.model.embed_tokens.weight": lt["token_embd.weight"], "llm.lm_head.weight": lt["output.weight"],
          "llm.model.norm.weight": lt["output_norm.weight"]}
    for i in range(c.layers):
        for k, v in {**LLM_MATRICES, **LLM_NORMS}.items():
            sd[f"llm.model.layers.{i}.{k}.weight"] = lt[f"blk.{i}.{v}.weight"]
    sd["vpm.embeddings.patch_embedding.weight"] = mt["v.patch_embd.weight"]
    sd["vpm.embeddings.patch_embedding.bias"] = mt["v.patch_embd.bias"]
    sd["vpm.embeddings.position_embedding.weight"] = mt["v.position_embd.weight"]
    for i in range(c.v_layers):
        for k, v in VISION_BLOCK.items():
            for p in ("weight", "bias"):
                sd[f"vpm.encoder.layers.{i}.{k}.{p}"] = mt[f"v.blk.{i}.{v}.{p}"]
    for p in ("weight", "bias"):
        sd[f"vpm.post_layernorm.{p}"] = mt[f"v.post_ln.{p}"]
        for n in ("ln_q", "ln_kv", "ln_post"):
            sd[f"resampler.{n}.{p}"] = mt[f"resampler.{n}.{p}"]
    sd["resampler.query"] = mt["resampler.query"]
    sd["resampler.kv_proj.weight"] = mt["resampler.kv.weight"]
    sd["resampler.attn.in_proj_weight"] = torch.cat([mt[f"resampler.attn.{n}.weight"] for n in "qkv"])
    sd["resampler.attn.in_proj_bias"] = torch.cat([mt[f"resampler.attn.{n}.bias"] for n in "qkv"])
    sd["resampler.attn.out_proj.weight"] = mt["resampler.attn.out.weight"]
    sd["resampler.attn.out_proj.bias"] = mt["resampler.attn.out.bias"]
    sd["resampler.proj"] = mt["resampler.proj.weight"].t().contiguous()
    return sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llm", required=True)
    ap.add_argument("--mmproj", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    lf, lt = read(args.llm)
    mf, mt = read(args.mmproj)
    if lf.get("general.architecture") != "qwen3" or mf.get("clip.projector_type") != "resampler":
        raise SystemExit("not a ShapesWorld pair: expected a qwen3 LLM GGUF and a resampler mmproj GGUF")
    merges = [tuple(m.split(" ")) for m in lf["tokenizer.ggml.merges"]]
    tok = Tokenizer(merges)
    if tok.tokens != lf["tokenizer.ggml.tokens"]:
        raise SystemExit(f"{args.llm}: its vocabulary is not the one its merges rebuild")
    c = config_of(lf, mf, len(tok.tokens))
    model = MiniCPMV(c)
    model.load_state_dict(state_dict(lt, mt, c))  # strict: every tensor accounted for
    os.makedirs(args.out, exist_ok=True)
    tok.save(os.path.join(args.out, "bpe.json"))
    torch.save({"model": model.state_dict(), "config": c.to_dict(), "aux": None, "row_aux": None, "step": 0,
                "elapsed": 0.0, "source": [os.path.abspath(args.llm), os.path.abspath(args.mmproj)]},
               os.path.join(args.out, "ckpt.pt"))
    print(f"{args.out}/ckpt.pt: {sum(v.numel() for v in model.state_dict().values()) / 1e6:.2f} M values")


if __name__ == "__main__":
    main()
