"""Tiny MiniCPM-V 4.5: NaViT SigLIP vision tower, perceiver resampler, Qwen3 LLM (own code, authors' layout).

Parameter names follow the authors' checkpoint keys (vpm.*, resampler.*, llm.*) so the state dict can be
written as an authors'-layout safetensors file directly.
"""
from dataclasses import dataclass, asdict, field
import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    # vision (SigLIP NaViT)
    v_hidden: int = 96
    v_layers: int = 3
    v_heads: int = 3
    v_ffn: int = 384
    patch: int = 14
    pos_grid: int = 70          # 70x70 learned position table, as the authors (image_size 980 / 14)
    ln_eps: float = 1e-6
    # resampler
    query_num: int = 64
    # LLM (Qwen3)
    hidden: int = 128           # = resampler D; resampler head dim is 128
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 32
    ffn: int = 384
    vocab: int = 512
    rope_theta: float = 1e6
    rms_eps: float = 1e-6

    def to_dict(self):
        return asdict(self)


# ---------------------------------------------------------------- vision

# The authors' float32 arange/bucketize gives floor(70*i/n) - 1 at these (n: [i...]) for n <= 256
# (recorded from running their code; see the fixtures' golden.json "position_ids").
_BUCKET_EXCEPTIONS = {int(k): set(v) for k, v in json.loads('{"25":[5,10,15,20],"49":[7,14,35,42],"50":[5,10,15,20,30,40],"55":[11,22,33,44],"58":[29],"77":[55],"82":[41],"86":[43],"94":[47],"98":[7,14,35,42,56,70,84],"100":[10,20,30,40,80],"110":[11,22,33,44,66,88],"115":[23,46,69,92],"135":[27,54],"147":[21,63,126],"154":[55],"155":[62,124],"164":[82],"165":[33,66,99,132],"166":[83],"172":[86],"175":[25,30,50,55,60,100,115,140,155],"188":[94],"189":[27,54,108,135],"194":[97],"196":[14,42,56,70,84,112,140],"200":[20,40,80,120,160],"202":[101],"203":[87,145,174],"205":[41,82,123,164],"214":[107],"215":[172],"217":[62,124],"218":[109],"220":[22,44,66,88,132,176],"230":[23,46,69,92,115,138,161,184],"231":[165],"235":[47,141],"244":[122],"245":[7,14,21,28,35,42,49,56,63,70,77,84,98,105,112,119,126,133,140,147,154,161,168,175,189,196,203,210,217,224,231],"246":[123]}').items()}


def navit_buckets(n: int, grid: int = 70) -> list:
    return [(grid * i) // n - (1 if i in _BUCKET_EXCEPTIONS.get(n, ()) else 0) for i in range(n)]


def navit_position_ids(h: int, w: int, grid: int = 70) -> torch.Tensor:
    """Authors' bucketed NaViT position ids for an h x w patch grid (row-major)."""
    bh = torch.tensor(navit_buckets(h, grid))
    bw = torch.tensor(navit_buckets(w, grid))
    return (bh[:, None] * grid + bw[None, :]).flatten()


class VisionEmbeddings(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, c.v_hidden, c.patch, c.patch)
        self.position_embedding = nn.Embedding(c.pos_grid * c.pos_grid, c.v_hidden)


class VisionAttention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        d = c.v_hidden
        self.heads = c.v_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        b, n, d = x.shape
        hd = d // self.heads
        q = self.q_proj(x).view(b, n, self.heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(b, n, self.heads, hd).transpose(1, 2)
        v = self.v_proj(x).view(b, n, self.heads, hd).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(o.transpose(1, 2).reshape(b, n, d))


class VisionMLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.fc1 = nn.Linear(c.v_hidden, c.v_ffn)
        self.fc2 = nn.Linear(c.v_ffn, c.v_hidden)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class VisionLayer(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(c.v_hidden, eps=c.ln_eps)
        self.self_attn = VisionAttention(c)
        self.layer_norm2 = nn.LayerNorm(c.v_hidden, eps=c.ln_eps)
        self.mlp = VisionMLP(c)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class VisionEncoder(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.layers = nn.ModuleList(VisionLayer(c) for _ in range(c.v_layers))


class VisionTower(nn.Module):
    """SigLIP in NaViT form: crops of any size (multiples of 14), padded into one batch."""

    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.embeddings = VisionEmbeddings(c)
        self.encoder = VisionEncoder(c)
        self.post_layernorm = nn.LayerNorm(c.v_hidden, eps=c.ln_eps)

    def forward(self, crops, pos_ids=None):
        """crops: list of [3, H, W] normalised tensors -> (hidden [n, L, d], valid mask [n, L], sizes [(h, w)]).
        pos_ids: optional per-crop position ids (e.g. a window cut from a larger crop keeps the crop's ids)."""
        p = self.c.patch
        sizes = [(t.shape[1] // p, t.shape[2] // p) for t in crops]
        L = max(h * w for h, w in sizes)
        d = self.c.v_hidden
        x = torch.zeros(len(crops), L, d)
        valid = torch.zeros(len(crops), L, dtype=torch.bool)
        pos = torch.zeros(len(crops), L, dtype=torch.long)
        emb = []
        for i, t in enumerate(crops):
            h, w = sizes[i]
            e = self.embeddings.patch_embedding(t[None]).flatten(2).transpose(1, 2)[0]  # [h*w, d] raster order
            emb.append(e)
            valid[i, : h * w] = True
            pos[i, : h * w] = navit_position_ids(h, w, self.c.pos_grid) if pos_ids is None else pos_ids[i]
        x = torch.nn.utils.rnn.pad_sequence(emb, batch_first=True)
        if x.shape[1] < L:
            x = F.pad(x, (0, 0, 0, L - x.shape[1]))
        x = x + self.embeddings.position_embedding(pos)
        mask = None
        if not bool(valid.all()):
            mask = torch.zeros(len(crops), 1, 1, L)
            mask.masked_fill_(~valid[:, None, None, :], float("-inf"))
        for layer in self.encoder.layers:
            x = layer(x, mask)
        return self.post_layernorm(x), valid, sizes


# ---------------------------------------------------------------- resampler

def sincos_1d(dim: int, pos: np.ndarray) -> np.ndarray:
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim: int, h: int, w: int) -> np.ndarray:
    """Authors' get_2d_sincos_pos_embed: [h, w, dim] = [sin(x w)|cos(x w)|sin(y w)|cos(y w)]."""
    gw, gh = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    emb_x = sincos_1d(dim // 2, gw)
    emb_y = sincos_1d(dim // 2, gh)
    return np.concatenate([emb_x, emb_y], axis=1).reshape(h, w, dim).astype(np.float32)


class Resampler(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        D = c.hidden
        assert D % 128 == 0, "resampler head dim is 128: D must be a multiple of 128"
        self.D = D
        self.query = nn.Parameter(torch.zeros(c.query_num, D))
        self.kv_proj = nn.Linear(c.v_hidden, D, bias=False)
        self.attn = nn.MultiheadAttention(D, D // 128)
        self.ln_q = nn.LayerNorm(D, eps=c.ln_eps)
        self.ln_kv = nn.LayerNorm(D, eps=c.ln_eps)
        self.ln_post = nn.LayerNorm(D, eps=c.ln_eps)
        self.proj = nn.Parameter((D ** -0.5) * torch.randn(D, D))
        nn.init.trunc_normal_(self.query, std=0.02)
        self.register_buffer("pos_table", torch.from_numpy(sincos_2d(D, c.pos_grid, c.pos_grid)), persistent=False)

    def pos2d(self, h, w):
        if h <= self.pos_table.shape[0] and w <= self.pos_table.shape[1]:
            return self.pos_table[:h, :w].reshape(h * w, self.D)
        return torch.from_numpy(sincos_2d(self.D, h, w)).reshape(h * w, self.D)

    def forward(self, vis, valid, sizes):
        n, L, _ = vis.shape
        pos = torch.zeros(n, L, self.D)
        for i, (h, w) in enumerate(sizes):
            pos[i, : h * w] = self.pos2d(h, w)
        x = self.ln_kv(self.kv_proj(vis))                                  # [n, L, D]
        q = self.ln_q(self.query)[:, None, :].expand(-1, n, -1)            # [Q, n, D]
        k = (x + pos).transpose(0, 1)
        v = x.transpose(0, 1)
        o, _ = self.attn(q, k, v, key_padding_mask=~valid, need_weights=False)
        o = self.ln_post(o.transpose(0, 1))                                # [n, Q, D]
        return o @ self.proj


# ---------------------------------------------------------------- LLM (Qwen3)

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cache(c: Config, n: int):
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float64) / c.head_dim))
    f = torch.outer(torch.arange(n, dtype=torch.float64), inv)
    f = torch.cat([f, f], dim=-1)
    return f.cos().float(), f.sin().float()


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.q_proj = nn.Linear(c.hidden, c.heads * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden, c.kv_heads * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.heads * c.head_dim, c.hidden, bias=False)
        self.q_norm = RMSNorm(c.head_dim, c.rms_eps)
        self.k_norm = RMSNorm(c.head_dim, c.rms_eps)

    def forward(self, x, cos, sin, mask):
        c = self.c
        b, n, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(b, n, c.heads, c.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(b, n, c.kv_heads, c.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, n, c.kv_heads, c.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = c.heads // c.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.o_proj(o.transpose(1, 2).reshape(b, n, -1))


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.up_proj = nn.Linear(c.hidden, c.ffn, bias=False)
        self.down_proj = nn.Linear(c.ffn, c.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden, c.rms_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden, c.rms_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen3Model(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab, c.hidden)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.hidden, c.rms_eps)


class Qwen3ForCausalLM(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.model = Qwen3Model(c)
        self.lm_head = nn.Linear(c.hidden, c.vocab, bias=False)  # untied

    def forward(self, embeds, pad_mask=None):
        """embeds [b, n, d]; pad_mask [b, n] True for real tokens (right padding). Returns hidden states."""
        b, n, _ = embeds.shape
        cos, sin = rope_cache(self.c, n)
        mask = torch.full((n, n), float("-inf")).triu(1)
        x = embeds
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.model.norm(x)


# ---------------------------------------------------------------- full model

class MiniCPMV(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.vpm = VisionTower(c)
        self.resampler = Resampler(c)
        self.llm = Qwen3ForCausalLM(c)
        self.apply(self._init)
        nn.init.trunc_normal_(self.resampler.query, std=0.02)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def encode_images(self, crops):
        """list of crops -> [n_crops, Q, D] resampler outputs."""
        vis, valid, sizes = self.vpm(crops)
        return self.resampler(vis, valid, sizes)

    def merge(self, input_ids, image_rows, image_pos):
        """input_ids [b, n]; image_rows [m, D]; image_pos [(b_idx, t_idx)] as two long tensors of length m."""
        e = self.llm.model.embed_tokens(input_ids)
        if image_rows is not None and image_rows.shape[0] > 0:
            e = e.index_put((image_pos[0], image_pos[1]), image_rows.to(e.dtype))
        return e


# ---------------------------------------------------------------- shared-prefix LLM forward (training / eval)

def _rope_rows(c: Config, positions):
    """positions [b, n] long -> cos, sin [b, 1, n, head_dim]."""
    inv = 1.0 / (c.rope_theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float64) / c.head_dim))
    f = positions.double()[..., None] * inv
    f = torch.cat([f, f], dim=-1)
    return f.cos().float()[:, None], f.sin().float()[:, None]


def _qkv(attn: Attention, x, cos, sin):
    c = attn.c
    b, n, _ = x.shape
    q = attn.q_norm(attn.q_proj(x).view(b, n, c.heads, c.head_dim)).transpose(1, 2)
    k = attn.k_norm(attn.k_proj(x).view(b, n, c.kv_heads, c.head_dim)).transpose(1, 2)
    v = attn.v_proj(x).view(b, n, c.kv_heads, c.head_dim).transpose(1, 2)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin, v


def _attend(attn: Attention, q, k, v, mask):
    rep = attn.c.heads // attn.c.kv_heads
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    b, _, n, _ = q.shape
    return attn.o_proj(o.transpose(1, 2).reshape(b, n, -1))


def prefix_forward(llm: Qwen3ForCausalLM, emb):
    """Run right-padded prefixes [B, P, d]; returns per-layer (k, v) [B, kvh, P, hd]."""
    B, P, _ = emb.shape
    pos = torch.arange(P)[None].expand(B, P)
    cos, sin = _rope_rows(llm.c, pos)
    mask = torch.full((P, P), float("-inf")).triu(1)
    cache, x = [], emb
    for layer in llm.model.layers:
        h = layer.input_layernorm(x)
        q, k, v = _qkv(layer.self_attn, h, cos, sin)
        cache.append((k, v))
        x = x + _attend(layer.self_attn, q, k, v, mask)
        x = x + layer.mlp(layer.post_attention_layernorm(x))
    return cache


def suffix_forward(llm: Qwen3ForCausalLM, cache, prefix_len, group, emb, probe=None):
    """Suffixes [b, S, d] continuing prefix group[j] (length prefix_len[group[j]]); returns final hidden.
    probe = (layer, head): also return that head's attention probabilities [b, S, P + S] (training studies)."""
    b, S, _ = emb.shape
    P = cache[0][0].shape[2]
    plen = prefix_len[group]                                              # [b]
    pos = plen[:, None] + torch.arange(S)[None]
    cos, sin = _rope_rows(llm.c, pos)
    pre_ok = torch.arange(P)[None, :] < plen[:, None]                     # [b, P]
    causal = torch.ones(S, S, dtype=torch.bool).tril()
    ok = torch.cat([pre_ok[:, None, :].expand(b, S, P), causal[None].expand(b, S, S)], dim=2)
    mask = torch.zeros(b, 1, S, P + S).masked_fill_(~ok[:, None], float("-inf"))
    x, probs = emb, None
    for i, (layer, (pk, pv)) in enumerate(zip(llm.model.layers, cache)):
        h = layer.input_layernorm(x)
        q, k, v = _qkv(layer.self_attn, h, cos, sin)
        k = torch.cat([pk[group], k], dim=2)
        v = torch.cat([pv[group], v], dim=2)
        if probe is not None and i == probe[0]:
            kh = probe[1] // (llm.c.heads // llm.c.kv_heads)
            scores = q[:, probe[1]] @ k[:, kh].transpose(1, 2) / q.shape[-1] ** 0.5
            probs = torch.softmax(scores.float() + mask[:, 0], dim=-1)
        x = x + _attend(layer.self_attn, q, k, v, mask)
        x = x + layer.mlp(layer.post_attention_layernorm(x))
    return llm.model.norm(x) if probe is None else (llm.model.norm(x), probs)
