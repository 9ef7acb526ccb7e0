"""Packed forward of the vision tower + resampler for training: the same maths as model.VisionTower and
model.Resampler, but every position-wise layer runs once over all crops' patches stacked into one matrix whose
row count is rounded up to a multiple of 1024, and only attention is done crop by crop.

Why: crops come in many sizes; PyTorch's CPU kernels (oneDNN convolution, bfloat16 matmuls on AMX) build a
kernel per input shape, and a stream of new shapes made a training step 10-50x slower than the same work at
one fixed shape. Here the shapes are few (the patch count per step, rounded) and the patch embedding is a matmul.
"""
import torch
import torch.nn.functional as F

from model import navit_position_ids

ROUND = 1024


def patchify(crop, p=14):
    """[3, H, W] -> [h*w, 3*p*p] in raster order, flattened like the Conv2d weight (channel, row, column)."""
    c, H, W = crop.shape
    h, w = H // p, W // p
    return crop.view(c, h, p, w, p).permute(1, 3, 0, 2, 4).reshape(h * w, c * p * p)


def _attend_each(q, k, v, spans, heads):
    # split (not slicing per crop): its backward is one concatenation, where each slice's backward would
    # fill and add a gradient the size of the whole batch
    lengths = [e - s for s, e in spans]
    lengths.append(q.shape[0] - sum(lengths))
    out = []
    for qi, ki, vi, L in zip(q.split(lengths), k.split(lengths), v.split(lengths), lengths[:-1]):
        qi, ki, vi = (t.view(L, heads, -1).transpose(0, 1)[None] for t in (qi, ki, vi))
        out.append(F.scaled_dot_product_attention(qi, ki, vi)[0].transpose(0, 1).reshape(L, -1))
    return out


def packed_encode(model, crops):
    """-> (patch features [sum h*w, d] in crop order, resampler rows [n_crops * Q, D])."""
    x, sizes = encode_patches(model, crops)
    return x, resample(model, x, sizes)


def encode_patches(model, crops, stop=None):
    """The vision tower alone: -> (patch features [sum h*w, d] in crop order, patch grid (h, w) per crop).
    With `stop` = k: the residual stream entering block k instead (finish_patches runs the rest)."""
    vpm, c = model.vpm, model.c
    p = c.patch
    sizes = [(t.shape[1] // p, t.shape[2] // p) for t in crops]
    spans, n = _spans(sizes)
    n_pad = -(-n // ROUND) * ROUND
    X = torch.cat([patchify(t, p) for t in crops] + [crops[0].new_zeros(n_pad - n, 3 * p * p)])
    pos = torch.cat([navit_position_ids(h, w, c.pos_grid) for h, w in sizes] + [torch.zeros(n_pad - n, dtype=torch.long)])
    conv = vpm.embeddings.patch_embedding
    x = F.linear(X, conv.weight.view(conv.weight.shape[0], -1), conv.bias) + vpm.embeddings.position_embedding(pos)
    layers = vpm.encoder.layers
    k = len(layers) if stop is None else stop
    x = _blocks(layers[:k], x, spans, n_pad - n)
    return (x[:n] if stop is not None else vpm.post_layernorm(x)[:n]), sizes


def finish_patches(model, x, sizes, start):
    """Tower blocks start.. and the post-LayerNorm over a residual stream from encode_patches(stop=start)."""
    x, spans, n, pad = _padded(x, sizes)
    x = _blocks(model.vpm.encoder.layers[start:], x, spans, pad)
    return model.vpm.post_layernorm(x)[:n]


def _blocks(layers, x, spans, pad):
    for layer in layers:
        a = layer.self_attn
        hdn = layer.layer_norm1(x)
        o = _attend_each(a.q_proj(hdn), a.k_proj(hdn), a.v_proj(hdn), spans, a.heads)
        o = torch.cat(o + [hdn.new_zeros(pad, hdn.shape[1])])
        x = x + a.out_proj(o)
        x = x + layer.mlp(layer.layer_norm2(x))
    return x


def _spans(sizes):
    spans, n = [], 0
    for h, w in sizes:
        spans.append((n, n + h * w))
        n += h * w
    return spans, n


def _padded(x, sizes):
    """Rows of crops of the given grids, zero rows appended up to a multiple of ROUND: -> (x, spans, n, pad)."""
    spans, n = _spans(sizes)
    pad = -(-n // ROUND) * ROUND - n
    return torch.cat([x, x.new_zeros(pad, x.shape[1])]), spans, n, pad


def resample(model, x, sizes, with_attention=False):
    """The resampler over the patch features of crops of the given grids: -> rows [n_crops * Q, D].
    with_attention: -> (rows, per crop the log attention [heads, Q, h*w]), the softmax written out (slower)."""
    rs = model.resampler
    x, spans, n, pad = _padded(x, sizes)
    D = rs.D
    kv = rs.ln_kv(rs.kv_proj(x))
    P = torch.cat([rs.pos2d(h, w) for h, w in sizes] + [kv.new_zeros(pad, D)]).to(kv.dtype)
    Wq, Wk, Wv = rs.attn.in_proj_weight.chunk(3)
    bq, bk, bv = rs.attn.in_proj_bias.chunk(3)
    K = F.linear(kv + P, Wk, bk)
    V = F.linear(kv, Wv, bv)
    q = F.linear(rs.ln_q(rs.query), Wq, bq)                                  # [Q, D]
    heads = rs.attn.num_heads
    qh = q.view(q.shape[0], heads, -1).transpose(0, 1)[None]
    lengths = [e - s for s, e in spans] + [pad]
    rows, logs = [], []
    for Ki, Vi, L in zip(K.split(lengths), V.split(lengths), lengths[:-1]):
        kh = Ki.view(L, heads, -1).transpose(0, 1)[None]
        vh = Vi.view(L, heads, -1).transpose(0, 1)[None]
        if with_attention:
            logp = torch.log_softmax((qh.to(kh.dtype) @ kh.transpose(-1, -2)).float() * kh.shape[-1] ** -0.5, -1)
            logs.append(logp[0])
            rows.append((logp.exp().to(vh.dtype) @ vh)[0].transpose(0, 1).reshape(q.shape[0], D))
        else:
            rows.append(F.scaled_dot_product_attention(qh.to(kh.dtype), kh, vh)[0].transpose(0, 1).reshape(q.shape[0], D))
    r = rs.ln_post(rs.attn.out_proj(torch.cat(rows))) @ rs.proj
    return (r, logs) if with_attention else r
