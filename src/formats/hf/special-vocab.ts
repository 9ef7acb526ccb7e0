/**
 * Special token ids, BOS/EOS/SEP flags and the chat template of a Hugging Face tokenizer, read as
 * llama.cpp's converter reads them (gguf-py `SpecialVocab`): ids of the tokens named in
 * tokenizer_config.json, looked up among tokenizer.json's added tokens, then `*_token_id` from
 * config.json for the rest; add-BOS/EOS from the post-processor's template, overridden by
 * `add_*_token` in tokenizer_config.json; the chat template from tokenizer_config.json, else from
 * chat_template.jinja / chat_template.json.
 */

export type SpecialType = "bos" | "eos" | "unk" | "sep" | "pad" | "cls" | "mask" | "eot" | "eom";

export interface NamedTemplate {
  readonly name: string;
  readonly template: string;
}

export interface SpecialVocab {
  /** In the order the converter sets them (the first value found for a type wins). */
  readonly ids: Map<SpecialType, number>;
  readonly add: Map<SpecialType, boolean>;
  readonly chatTemplate?: string | NamedTemplate[];
}

export interface SpecialVocabFiles {
  /** Parsed tokenizer.json (its `added_tokens` and `post_processor` are read). */
  readonly tokenizerJson?: unknown;
  readonly tokenizerConfig?: unknown;
  /** Parsed config.json. */
  readonly config?: unknown;
  /** chat_template.jinja, and the files of additional_chat_templates/ by name. */
  readonly chatTemplateJinja?: string;
  readonly additionalTemplates?: readonly NamedTemplate[];
  /** Parsed chat_template.json. */
  readonly chatTemplateJson?: unknown;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** Python truthiness of a JSON value. */
const truthy = (v: unknown): boolean =>
  !(v === undefined || v === null || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0));
const specialTokenId = (part: unknown): unknown => (isObject(part) && isObject(part.SpecialToken) ? part.SpecialToken.id : undefined);
const sequenceId = (part: unknown): unknown => (isObject(part) && isObject(part.Sequence) ? part.Sequence.id : undefined);

class Reader {
  readonly ids = new Map<SpecialType, number>();
  readonly add = new Map<SpecialType, boolean>();
  types: SpecialType[] = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"];
  chatTemplate?: string | NamedTemplate[];

  setId(type: SpecialType, id: unknown): void {
    if (!Number.isSafeInteger(id) || (id as number) < 0 || this.ids.has(type)) return;
    this.ids.set(type, id as number);
  }

  /** The post-processor's BOS/EOS/SEP templates (crude, as the converter's own parsing). */
  postProcessor(pp: unknown, cfg: Json | null): void {
    let bos = cfg?.bos_token, cls = cfg?.cls_token, eos = cfg?.eos_token, sep = cfg?.sep_token;
    if (!truthy(bos) && truthy(cls) && cfg && truthy(cfg)) cfg.bos_token = bos = cls;
    if (!truthy(eos) && truthy(sep) && cfg && truthy(cfg)) cfg.eos_token = eos = sep;
    if (!isObject(pp)) return;
    const processors = Array.isArray(pp.processors) ? pp.processors : [pp];
    for (const p of processors) {
      if (!isObject(p)) continue;
      if (p.type === "RobertaProcessing") {
        this.add.set("bos", true).set("eos", true).set("sep", true);
        if (!truthy(cls) && cfg && truthy(cfg)) cfg.cls_token = cls = Array.isArray(p.cls) ? p.cls[0] : bos;
        if (!truthy(sep) && cfg && truthy(cfg)) cfg.sep_token = sep = Array.isArray(p.sep) ? p.sep[0] : eos;
        continue;
      }
      if (p.type !== "TemplateProcessing") continue;
      const single = Array.isArray(p.single) ? p.single : [];
      let pair = Array.isArray(p.pair) ? p.pair : [];
      let first: unknown, last: unknown;
      if (single.length > 1) {
        first = specialTokenId(single[0]);
        if (truthy(first)) {
          if (!cfg || !truthy(cfg)) bos = first;
          this.add.set("bos", first === bos || first === cls);
        }
        last = specialTokenId(single[single.length - 1]);
        if (truthy(last)) {
          if (!cfg || !truthy(cfg)) eos = last;
          else if (last !== eos) {
            // the template ends with another token than EOS: that becomes EOS, the old one EOT (or EOM)
            if (!this.types.includes("eot")) { this.types.push("eot"); cfg.eot_token = eos; }
            else if (!this.types.includes("eom")) { this.types.push("eom"); cfg.eom_token = eos; }
            cfg.eos_token = eos = last;
          }
          this.add.set("eos", last === eos);
        }
      }
      if (pair.length > 0) {
        const start = truthy(first) && specialTokenId(pair[0]) === first ? 1 : 0;
        const stop = truthy(last) && specialTokenId(pair[pair.length - 1]) === last ? pair.length - 1 : pair.length;
        pair = pair.slice(start, stop);
        if (pair.length > 0 && sequenceId(pair[0]) === "A" && sequenceId(pair[pair.length - 1]) === "B") {
          const middle = pair.slice(1, -1);
          if (middle.length > 0) {
            let addSep = false;
            const a = specialTokenId(middle[0]);
            if (truthy(a) && (a === sep || a === eos) && !truthy(last)) addSep = true;
            if (middle.length === 2) {
              const b = specialTokenId(middle[1]);
              if (truthy(b) && (b === sep || b === eos)) addSep = true;
            }
            this.add.set("sep", addSep);
            if (addSep && !truthy(sep) && cfg && truthy(cfg)) cfg.sep_token = eos;
          }
        }
      }
    }
  }

  fromTokenizerConfig(cfg: Json, added: unknown[], files: SpecialVocabFiles): void {
    let alt: unknown;
    if (files.chatTemplateJinja !== undefined) {
      alt = files.additionalTemplates?.length
        ? [{ name: "default", template: files.chatTemplateJinja }, ...files.additionalTemplates]
        : files.chatTemplateJinja;
    } else if (isObject(files.chatTemplateJson)) {
      alt = files.chatTemplateJson.chat_template;
    }
    const template = "chat_template" in cfg ? cfg.chat_template : alt;
    if (typeof template === "string") this.chatTemplate = template;
    else if (Array.isArray(template)) {
      this.chatTemplate = template.filter(isObject).map((t) => ({ name: String(t.name ?? ""), template: t.template as string }))
        .filter((t) => typeof t.template === "string");
    }
    for (const type of this.types) {
      const flag = cfg[`add_${type}_token`];
      if (typeof flag === "boolean") this.add.set(type, flag);
      const entry = cfg[`${type}_token`];
      const content = typeof entry === "string" ? entry : isObject(entry) && typeof entry.content === "string" ? entry.content : undefined;
      if (content === undefined) continue;
      const hit = added.find((a) => isObject(a) && a.content === content);
      this.setId(type, isObject(hit) ? hit.id : undefined);
    }
  }

  fromConfig(config: unknown): void {
    if (!isObject(config)) return;
    const text = isObject(config.text_config) ? config.text_config : undefined;
    for (const type of this.types) {
      const id = config[`${type}_token_id`] ?? text?.[`${type}_token_id`];
      this.setId(type, id);
    }
  }
}

export function readSpecialVocab(files: SpecialVocabFiles): SpecialVocab {
  const r = new Reader();
  const tok = isObject(files.tokenizerJson) ? files.tokenizerJson : undefined;
  // the converter edits its copy of tokenizer_config.json while reading the post-processor
  const cfg = isObject(files.tokenizerConfig) ? { ...files.tokenizerConfig } : null;
  if (tok) r.postProcessor(tok.post_processor, cfg);
  if (cfg && truthy(cfg)) r.fromTokenizerConfig(cfg, Array.isArray(tok?.added_tokens) ? tok.added_tokens : [], files);
  r.fromConfig(files.config);
  return { ids: r.ids, add: r.add, chatTemplate: r.chatTemplate };
}
