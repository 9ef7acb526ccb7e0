import type { HfAddedToken, HfTokenizerJson } from "./tokenizer-json.js";

/**
 * The added tokens as transformers sees them once it has loaded the tokenizer (its
 * `added_tokens_decoder`, which llama.cpp's converter reads): tokenizer.json's `added_tokens`, plus the
 * tokens tokenizer_config.json names (bos/eos/unk/sep/pad/cls/mask, additional/extra special tokens,
 * `added_tokens_decoder`) that are not added tokens yet. Those become special added tokens — at their
 * vocabulary id when the text is a vocabulary token (e.g. Qwen's "<unk>"), else at the next free id
 * (the `tokenizers` library's rule).
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

const NAMED = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

interface Wanted { content: string; special: boolean }

function contentOf(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (isObject(v) && typeof v.content === "string") return v.content;
  return undefined;
}

/** Tokens the config asks for, in transformers' order: `added_tokens_decoder` by id, then the special ones. */
function wanted(cfg: Json): Wanted[] {
  const out: Wanted[] = [];
  const decoder = cfg.added_tokens_decoder;
  if (isObject(decoder)) {
    const entries = Object.entries(decoder).filter(([id]) => /^\d+$/.test(id)).sort(([a], [b]) => Number(a) - Number(b));
    for (const [, v] of entries) {
      const content = contentOf(v);
      if (content !== undefined) out.push({ content, special: isObject(v) && v.special === true });
    }
  }
  const special = new Set<string>();
  for (const key of NAMED) {
    const c = contentOf(cfg[key]);
    if (c !== undefined && c !== "") special.add(c);
  }
  for (const key of ["additional_special_tokens", "extra_special_tokens"]) {
    const list = cfg[key];
    if (Array.isArray(list)) for (const v of list) { const c = contentOf(v); if (c) special.add(c); }
  }
  for (const w of out) if (special.has(w.content)) w.special = true;
  for (const c of special) if (!out.some((w) => w.content === c)) out.push({ content: c, special: true });
  return out;
}

export function effectiveAddedTokens(t: HfTokenizerJson, tokenizerConfig: unknown): HfAddedToken[] {
  const added = [...t.added];
  if (!isObject(tokenizerConfig)) return added;
  const have = new Set(added.map((a) => a.content));
  let modelSize = 0;
  for (const id of t.vocab.values()) modelSize = Math.max(modelSize, id + 1);
  for (const w of wanted(tokenizerConfig)) {
    if (have.has(w.content)) continue;
    let id = t.vocab.get(w.content);
    if (id === undefined) {
      const maxAdded = added.reduce((m, a) => Math.max(m, a.id), -1);
      id = maxAdded >= modelSize ? maxAdded + 1 : modelSize;
    }
    added.push({ id, content: w.content, special: w.special });
    have.add(w.content);
  }
  return added;
}
