"""Export a trained ShapesWorld checkpoint as the llama.cpp GGUF pair and an authors'-layout folder.

    python3 tools/shapesworld/export.py --run runs/sw --out models/shapesworld [--hf-out /tmp/sw-hf] [--type f16|q8_0]

LLM GGUF: arch `qwen3` + `tokenizer.ggml.*`. mmproj GGUF: the legacy MiniCPM-V layout (clip.projector_type
resampler, minicpmv_version 6, ffn_up/ffn_down swapped as llama.cpp's converter writes them, resampler.proj
transposed, resampler.pos_embed_k precomputed). The chat template (tokenizer.CHAT_TEMPLATE) always ends the
generation prompt in the empty think block the model was trained behind, so llama-mtmd-cli reproduces the
engine's prompt with `--jinja` (it renders templates with enable_thinking = true; without `--jinja` it uses its
built-in ChatML, which no GGUF key can change).
"""
import argparse
import json
import os
import sys

import gguf
import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, sincos_2d  # noqa: E402
from tokenizer import CHAT_TEMPLATE, SPECIALS, Tokenizer  # noqa: E402

Q = gguf.GGMLQuantizationType

# checkpoint name (under llm.model.layers.{i}.) -> GGUF name (under blk.{i}.); import_gguf.py reads them back
LLM_MATRICES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
                "mlp.down_proj": "ffn_down"}
LLM_NORMS = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
             "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"}
# checkpoint name (under vpm.encoder.layers.{i}.) -> GGUF name (under v.blk.{i}.), each with .weight and .bias;
# llama.cpp's converter names fc1 "ffn_down" and fc2 "ffn_up" (swapped), and so does this.
VISION_BLOCK = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
                "self_attn.out_proj": "attn_out", "layer_norm1": "ln1", "layer_norm2": "ln2",
                "mlp.fc1": "ffn_down", "mlp.fc2": "ffn_up"}


def f32(t):
    return t.detach().float().cpu().numpy().astype(np.float32)


def add_matrix(w, name, arr, qtype):
    """2-D+ weights as F16 or Q8_0 (Q8_0 needs rows divisible by 32); everything else F32."""
    if qtype == "q8_0" and arr.ndim == 2 and arr.shape[-1] % 32 == 0:
        w.add_tensor(name, gguf.quants.quantize(arr, Q.Q8_0), raw_shape=arr.shape, raw_dtype=Q.Q8_0)
    else:
        w.add_tensor(name, arr.astype(np.float16))


def write_llm(path, sd, c: Config, tok: Tokenizer, qtype, name):
    w = gguf.GGUFWriter(path, "qwen3")
    w.add_name(name)
    w.add_context_length(4096)
    w.add_embedding_length(c.hidden)
    w.add_block_count(c.layers)
    w.add_feed_forward_length(c.ffn)
    w.add_head_count(c.heads)
    w.add_head_count_kv(c.kv_heads)
    w.add_key_length(c.head_dim)
    w.add_value_length(c.head_dim)
    w.add_rope_dimension_count(c.head_dim)
    w.add_rope_freq_base(c.rope_theta)
    w.add_layer_norm_rms_eps(c.rms_eps)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tok.tokens)
    w.add_token_types([3 if t in SPECIALS else 1 for t in tok.tokens])
    w.add_token_merges([f"{a} {b}" for a, b in tok.merges])
    w.add_bos_token_id(tok.id["<|endoftext|>"])
    w.add_eos_token_id(tok.id["<|im_end|>"])
    w.add_pad_token_id(tok.id["<|endoftext|>"])
    w.add_unk_token_id(tok.id["<unk>"])
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)
    w.add_quantization_version(2)
    w.add_file_type(7 if qtype == "q8_0" else 1)
    add_matrix(w, "token_embd.weight", f32(sd["llm.model.embed_tokens.weight"]), qtype)
    add_matrix(w, "output.weight", f32(sd["llm.lm_head.weight"]), qtype)
    w.add_tensor("output_norm.weight", f32(sd["llm.model.norm.weight"]))
    for i in range(c.layers):
        p = f"llm.model.layers.{i}."
        for k, v in LLM_MATRICES.items():
            add_matrix(w, f"blk.{i}.{v}.weight", f32(sd[p + k + ".weight"]), qtype)
        for k, v in LLM_NORMS.items():
            w.add_tensor(f"blk.{i}.{v}.weight", f32(sd[p + k + ".weight"]))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_mmproj(path, sd, c: Config, name):
    w = gguf.GGUFWriter(path, "clip")
    w.add_bool("clip.has_text_encoder", False)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_minicpmv_projector", True)
    w.add_file_type(1)
    w.add_name(name)
    w.add_description("image encoder for MiniCPM-V")
    w.add_string("clip.projector_type", "resampler")
    w.add_int32("clip.minicpmv_version", 6)
    w.add_uint32("clip.vision.image_size", 448)
    w.add_uint32("clip.vision.patch_size", c.patch)
    w.add_uint32("clip.vision.embedding_length", c.v_hidden)
    w.add_uint32("clip.vision.feed_forward_length", c.v_ffn)
    w.add_uint32("clip.vision.projection_dim", 0)
    w.add_uint32("clip.vision.attention.head_count", c.v_heads)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", c.ln_eps)
    w.add_uint32("clip.vision.block_count", c.v_layers)
    w.add_uint32("clip.minicpmv_query_num", c.query_num)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    w.add_bool("clip.use_gelu", True)

    def f16(n, t):
        w.add_tensor(n, f32(t).astype(np.float16))

    def fl(n, t):
        w.add_tensor(n, f32(t))

    f16("v.patch_embd.weight", sd["vpm.embeddings.patch_embedding.weight"])
    fl("v.patch_embd.bias", sd["vpm.embeddings.patch_embedding.bias"])
    f16("v.position_embd.weight", sd["vpm.embeddings.position_embedding.weight"])
    for i in range(c.v_layers):
        for a, b in VISION_BLOCK.items():
            weight = sd[f"vpm.encoder.layers.{i}.{a}.weight"]
            (f16 if weight.dim() >= 2 else fl)(f"v.blk.{i}.{b}.weight", weight)  # matrices F16, norms F32
            fl(f"v.blk.{i}.{b}.bias", sd[f"vpm.encoder.layers.{i}.{a}.bias"])
    fl("v.post_ln.weight", sd["vpm.post_layernorm.weight"])
    fl("v.post_ln.bias", sd["vpm.post_layernorm.bias"])
    D = c.hidden
    fl("resampler.query", sd["resampler.query"])
    f16("resampler.kv.weight", sd["resampler.kv_proj.weight"])
    wq, wk, wv = sd["resampler.attn.in_proj_weight"].split(D, 0)
    bq, bk, bv = sd["resampler.attn.in_proj_bias"].split(D, 0)
    for n, wt, bt in (("q", wq, bq), ("k", wk, bk), ("v", wv, bv)):
        f16(f"resampler.attn.{n}.weight", wt)
        fl(f"resampler.attn.{n}.bias", bt)
    f16("resampler.attn.out.weight", sd["resampler.attn.out_proj.weight"])
    fl("resampler.attn.out.bias", sd["resampler.attn.out_proj.bias"])
    for n in ("ln_q", "ln_kv", "ln_post"):
        fl(f"resampler.{n}.weight", sd[f"resampler.{n}.weight"])
        fl(f"resampler.{n}.bias", sd[f"resampler.{n}.bias"])
    fl("resampler.pos_embed_k", torch.from_numpy(sincos_2d(D, c.pos_grid, c.pos_grid).reshape(-1, D)))
    f16("resampler.proj.weight", sd["resampler.proj"].t().contiguous())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def write_hf(folder, sd, c: Config, tok: Tokenizer):
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.detach().to(torch.float16).contiguous() if v.dim() >= 2 else v.detach().float().contiguous()
               for k, v in sd.items()}, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    cfg = {
        "architectures": ["MiniCPMV"], "model_type": "minicpmv", "version": 4.5, "torch_dtype": "float16",
        "hidden_size": c.hidden, "num_hidden_layers": c.layers, "num_attention_heads": c.heads,
        "num_key_value_heads": c.kv_heads, "head_dim": c.head_dim, "intermediate_size": c.ffn,
        "vocab_size": c.vocab, "rope_theta": c.rope_theta, "rms_norm_eps": c.rms_eps, "hidden_act": "silu",
        "tie_word_embeddings": False, "attention_bias": False, "max_position_embeddings": 4096,
        "bos_token_id": tok.id["<|endoftext|>"], "eos_token_id": tok.id["<|im_end|>"],
        "query_num": c.query_num, "image_size": 448, "patch_size": c.patch, "use_image_id": True,
        "drop_vision_last_layer": False, "batch_vision_input": True, "slice_mode": True,
        "slice_config": {"max_slice_nums": 9, "patch_size": c.patch, "scale_resolution": 448},
        "resampler": {"embed_dim": c.hidden, "num_heads": c.hidden // 128, "kv_dim": c.v_hidden,
                      "num_queries": c.query_num, "max_size": [70, 70], "ln_eps": c.ln_eps, "max_temporal_size": 72000},
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": c.v_hidden, "intermediate_size": c.v_ffn,
                          "num_hidden_layers": c.v_layers, "num_attention_heads": c.v_heads, "patch_size": c.patch,
                          "image_size": 980, "num_channels": 3, "hidden_act": "gelu_pytorch_tanh",
                          "layer_norm_eps": c.ln_eps},
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(folder, "tokenizer.json"), "w") as f:
        json.dump(tok.hf_tokenizer_json(), f, ensure_ascii=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({
            "tokenizer_class": "Qwen2Tokenizer", "chat_template": CHAT_TEMPLATE, "model_max_length": 4096,
            "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": "<unk>",
            "im_start": "<|im_start|>", "im_end": "<|im_end|>", "slice_start": "<slice>", "slice_end": "</slice>",
            "im_id_start": "<image_id>", "im_id_end": "</image_id>", "ref_start": "<ref>", "ref_end": "</ref>",
            "box_start": "<box>", "box_end": "</box>", "quad_start": "<quad>", "quad_end": "</quad>",
            "point_start": "<point>", "point_end": "</point>", "add_bos_token": False,
            "added_tokens_decoder": {str(tok.id[s]): {"content": s, "special": True, "normalized": False,
                                                      "lstrip": False, "rstrip": False, "single_word": False}
                                     for s in SPECIALS},
        }, f, indent=1)
    with open(os.path.join(folder, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [tok.id["<|im_end|>"], tok.id["<|endoftext|>"]], "do_sample": False}, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", default="models/shapesworld")
    ap.add_argument("--hf-out", default=None)
    ap.add_argument("--type", choices=["f16", "q8_0"], default="f16")
    args = ap.parse_args()
    ck = torch.load(os.path.join(args.run, "ckpt.pt"), weights_only=False, map_location="cpu")
    c = Config(**ck["config"])
    sd = ck["model"]
    tok = Tokenizer.load(os.path.join(args.run, "bpe.json"))
    assert len(tok.tokens) == c.vocab
    os.makedirs(args.out, exist_ok=True)
    write_llm(os.path.join(args.out, "shapesworld-llm.gguf"), sd, c, tok, args.type, "ShapesWorld MiniCPM-V 4.5 tiny LLM")
    write_mmproj(os.path.join(args.out, "shapesworld-mmproj.gguf"), sd, c, "ShapesWorld MiniCPM-V 4.5 tiny mmproj")
    if args.hf_out:
        write_hf(args.hf_out, sd, c, tok)
    for f in ("shapesworld-llm.gguf", "shapesworld-mmproj.gguf"):
        p = os.path.join(args.out, f)
        print(p, f"{os.path.getsize(p) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
