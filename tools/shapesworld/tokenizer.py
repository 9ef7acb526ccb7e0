"""Byte-level BPE (GPT-2 / Qwen2 style) trained on the ShapesWorld corpus, with ChatML + MiniCPM-V specials."""
import collections
import json

import regex

# Qwen2's pre-tokenizer pattern (llama.cpp `pre = qwen2`): digits are split one by one.
PRETOKENIZE = regex.compile(
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<unk>", "<image>", "</image>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>",
    "<point>", "</point>", "<slice>", "</slice>", "<image_id>", "</image_id>", "<think>", "</think>",
]

# Qwen3-style ChatML template with thinking always off: the generation prompt always ends in the empty
# think block `<think>\n\n</think>\n\n`, the only framing the model was trained on (MiniCPM-V 4.5's
# thinking-off prompt). It deliberately ignores `enable_thinking`: llama.cpp's Jinja renderer passes
# enable_thinking = true unless told otherwise (and llama-mtmd-cli cannot tell it otherwise), so a template
# that honoured it would hand llama.cpp a thinking-on prompt (`<|im_start|>assistant\n` alone), on which this
# model answers garbage. llama.cpp uses this template only with `--jinja`; without it, it falls back to its
# built-in "chatml", which has no think block.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def to_units(word: str) -> str:
    return "".join(B2U[b] for b in word.encode("utf-8"))


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.tokens = [B2U[b] for b in range(256)]
        for a, b in self.merges:
            self.tokens.append(a + b)
        self.n_regular = len(self.tokens)
        self.tokens += SPECIALS
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.rank = {m: i for i, m in enumerate(self.merges)}
        self.special_re = regex.compile("(" + "|".join(regex.escape(s) for s in SPECIALS) + ")")
        self.cache = {}

    @staticmethod
    def train(texts, n_merges):
        counts = collections.Counter()
        for t in texts:
            for w in PRETOKENIZE.findall(t):
                counts[to_units(w)] += 1
        words = {w: list(w) for w in counts}
        merges = []
        for _ in range(n_merges):
            pairs = collections.Counter()
            for w, syms in words.items():
                for i in range(len(syms) - 1):
                    pairs[(syms[i], syms[i + 1])] += counts[w]
            if not pairs:
                break
            best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
            merges.append(best)
            for w, syms in words.items():
                i, out = 0, []
                while i < len(syms):
                    if i < len(syms) - 1 and (syms[i], syms[i + 1]) == best:
                        out.append(syms[i] + syms[i + 1])
                        i += 2
                    else:
                        out.append(syms[i])
                        i += 1
                words[w] = out
        return Tokenizer(merges)

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        syms = list(word)
        while len(syms) > 1:
            ranked = [(self.rank.get((syms[i], syms[i + 1]), 1 << 30), i) for i in range(len(syms) - 1)]
            r, i = min(ranked)
            if r == 1 << 30:
                break
            syms = syms[:i] + [syms[i] + syms[i + 1]] + syms[i + 2:]
        ids = [self.id[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for part in self.special_re.split(text):
            if not part:
                continue
            if part in self.id and part in SPECIALS:
                ids.append(self.id[part])
                continue
            for w in PRETOKENIZE.findall(part):
                ids += self._bpe(to_units(w))
        return ids

    def decode(self, ids, keep_special=True):
        out, buf = [], bytearray()
        for i in ids:
            t = self.tokens[i]
            if i >= self.n_regular:
                out.append(buf.decode("utf-8", "replace"))
                buf = bytearray()
                if keep_special:
                    out.append(t)
            else:
                buf += bytes(U2B[c] for c in t)
        out.append(buf.decode("utf-8", "replace"))
        return "".join(out)

    def save(self, path):
        with open(path, "w") as f:
            json.dump({"merges": [list(m) for m in self.merges]}, f)

    @staticmethod
    def load(path):
        with open(path) as f:
            return Tokenizer(json.load(f)["merges"])

    def hf_tokenizer_json(self):
        """A Hugging Face `tokenizers` tokenizer.json equivalent to this BPE (Qwen2 layout)."""
        vocab = {t: i for i, t in enumerate(self.tokens[: self.n_regular])}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.id[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for s in SPECIALS
            ],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": PRETOKENIZE.pattern}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            ]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }
