import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { GGUFMetadata } from "../../src/formats/gguf/reader.js";
import { GGUFValueType } from "../../src/formats/gguf/types.js";
import { BUILTIN_TEMPLATES, chatTemplateOf, renderChatTemplate } from "../../src/formats/chat-template/index.js";
import { UserError } from "../../src/errors.js";
import { loadMetadata, readGolden } from "./helpers.js";

const HF = new URL("../fixtures/hf/", import.meta.url);
const readJson = (rel: string) => JSON.parse(readFileSync(new URL(rel, HF), "utf8"));

// Read the GGUFs before node:test is loaded: its promise tracking makes the reader ~10x slower.
const META = new Map(await Promise.all(
  ["minicpmv-4.5/llm-f16.gguf", "minicpmv-2.5/llm-f16.gguf", "vocab-qwen3/vocab-qwen3.gguf.gz", "vocab-llama3/vocab-llama3.gguf.gz"]
    .map(async (f) => [f, await loadMetadata(f)] as const),
));
const meta = (file: string) => META.get(file)!;
const { test } = await import("node:test");

test("llama.cpp goldens: the GGUF templates give llama_chat_apply_template's prompt (no BOS in the text)", () => {
  for (const [dir, builtin] of [["minicpmv-4.5", "chatml"], ["minicpmv-2.5", "llama3"]] as const) {
    const chat = readGolden(dir).chat;
    const { template, origin } = chatTemplateOf(meta(`${dir}/llm-f16.gguf`));
    assert.equal(origin, "gguf");
    assert.equal(template, chat.template);
    const messages = [{ role: "user", content: chat.user_content }];
    assert.equal(renderChatTemplate(template, messages), chat.formatted_prompt, dir);
    assert.equal(renderChatTemplate(BUILTIN_TEMPLATES[builtin], messages), chat.formatted_prompt, `${dir} built-in ${builtin}`);
  }
});

test("authors' chat prompts (2.6 ChatML with default system, 4.5 Qwen3 with thinking switch, 2.5 Llama-3 with BOS)", () => {
  const golden = readJson("golden.json").chat_input_ids;
  const templates: Record<string, { template: string; bos: string }> = {
    "2.6": { template: golden.chat_templates["2.6"].replace(/\s+\(ASSUMED[^)]*\)$/, ""), bos: "" },
    "4.5": { template: readJson("tokenizers/qwen_minicpmv/tokenizer_config.json").chat_template, bos: "" },
    "2.5": { template: readJson("tokenizers/llama3_minicpmv25/tokenizer_config.json").chat_template, bos: "<|begin_of_text|>" },
  };
  let checked = 0;
  for (const c of golden.cases) {
    const version = String(c.layout_version); // a number in the JSON
    const { template, bos } = templates[version];
    const question = c.question ?? (c.images.length === 1 ? "What is in the image?" : "Compare the two images.");
    const content = "(<image>./</image>)\n".repeat(c.images.length) + question;
    const enableThinking = version === "4.5" ? c.chat_kwargs?.enable_thinking ?? false : undefined;
    const prompt = renderChatTemplate(template, [{ role: "user", content }], { bosToken: bos, enableThinking });
    assert.equal(prompt, c.prompt, c.label);
    checked++;
  }
  assert.equal(checked, 13);
});

test("Qwen3 template: system turn, earlier reasoning dropped, thinking on/off", () => {
  const qwen3 = readJson("tokenizers/qwen_minicpmv/tokenizer_config.json").chat_template as string;
  const messages = [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "hi" },
    { role: "assistant", content: "<think>\nreason\n</think>\n\nhello" },
    { role: "user", content: "more" },
  ];
  const head = "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
    + "<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nmore<|im_end|>\n<|im_start|>assistant\n";
  assert.equal(renderChatTemplate(qwen3, messages, { enableThinking: false }), head + "<think>\n\n</think>\n\n");
  assert.equal(renderChatTemplate(qwen3, messages, { enableThinking: true }), head);
  assert.equal(renderChatTemplate(qwen3, messages), head);
  assert.equal(renderChatTemplate(qwen3, messages.slice(0, 3), { addGenerationPrompt: false }),
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\nreason\n</think>\n\nhello<|im_end|>\n");
});

test("templates of the real-vocabulary GGUFs render", () => {
  const qwen = chatTemplateOf(meta("vocab-qwen3/vocab-qwen3.gguf.gz"));
  assert.equal(renderChatTemplate(qwen.template, [{ role: "user", content: "hi" }], { enableThinking: false }),
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  const llama = chatTemplateOf(meta("vocab-llama3/vocab-llama3.gguf.gz"));
  assert.equal(renderChatTemplate(llama.template, [{ role: "user", content: " hi " }], { bosToken: "<|begin_of_text|>" }),
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
});

test("no template in the GGUF: the built-in for the architecture", () => {
  const archOnly = (arch: string) => new GGUFMetadata("x.gguf", new Map([["general.architecture", { type: GGUFValueType.STRING, value: arch }]]));
  assert.equal(chatTemplateOf(archOnly("llama")).origin, "llama3");
  assert.equal(chatTemplateOf(archOnly("qwen3")).origin, "chatml");
  assert.equal(chatTemplateOf(archOnly("minicpm")).origin, "chatml");
  const out = renderChatTemplate(BUILTIN_TEMPLATES.chatml, [{ role: "system", content: "s" }, { role: "user", content: "u" }], { addGenerationPrompt: false });
  assert.equal(out, "<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nu<|im_end|>\n");
});

test("broken templates and raise_exception are user errors naming the source", () => {
  assert.throws(() => renderChatTemplate("{% for x in %}", [], { source: "m.gguf" }),
    (e: unknown) => e instanceof UserError && e.code === "unsupported" && /m\.gguf: the chat template cannot be parsed/.test(e.message));
  const strict = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation must start with the user') }}{% endif %}ok";
  assert.throws(() => renderChatTemplate(strict, [{ role: "assistant", content: "x" }]),
    (e: unknown) => e instanceof UserError && /Conversation must start with the user/.test(e.message));
  assert.equal(renderChatTemplate(strict, [{ role: "user", content: "x" }]), "ok");
});
