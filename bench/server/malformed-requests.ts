/**
 * A sweep of malformed requests, each of which a correct server answers with a 4xx in OpenAI's error
 * shape (and keeps serving). Used by test/server/validation.test.ts and the load test.
 */
import { randomBytes } from "node:crypto";
import { dataUri, solidPng } from "./png.js";

export interface MalformedCase {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string;
  /** The status a correct answer has. */
  readonly status: number;
  /** The error code a correct answer has, when it is specific. */
  readonly code?: string;
}

export interface SweepLimits {
  readonly maxImages: number;
  readonly maxImageBytes: number;
  readonly maxImagePixels: number;
  readonly bodyLimit: number;
  readonly contextLength: number;
}

const user = (content: unknown) => ({ messages: [{ role: "user", content }] });
const img = (url: string) => ({ type: "image_url", image_url: { url } });
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export async function malformedRequests(limits: SweepLimits): Promise<MalformedCase[]> {
  const tiny = dataUri(await solidPng(8, 8));
  // a PNG whose header claims more pixels than allowed (tiny file: one colour compresses well)
  const side = Math.ceil(Math.sqrt(limits.maxImagePixels)) + 16;
  const bomb = dataUri(await solidPng(side, side));
  const huge = dataUri(Buffer.concat([PNG_SIG, randomBytes(limits.maxImageBytes + 1)]));
  const svg = `data:image/png;base64,${Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>').toString("base64")}`;
  const bmp = dataUri(Buffer.concat([Buffer.from("BM"), randomBytes(64)]));
  const truncated = dataUri((await solidPng(64, 64)).subarray(0, 40));
  const longText = "lorem ipsum dolor sit amet ".repeat(Math.ceil((limits.contextLength * 4) / 27));

  const post = (name: string, body: unknown, status: number, code?: string): MalformedCase =>
    ({ name, method: "POST", path: "/v1/chat/completions", contentType: "application/json", body: typeof body === "string" ? body : JSON.stringify(body), status, code });
  const ok = user("hello");

  return [
    post("invalid JSON", '{"messages": [', 400, "invalid_json"),
    post("empty body", "", 400, "invalid_json"),
    post("body is an array", [], 400),
    post("body is a string", '"hello"', 400),
    { name: "text/plain body", method: "POST", path: "/v1/chat/completions", contentType: "text/plain", body: "hello", status: 400 },
    { name: "form-encoded body", method: "POST", path: "/v1/chat/completions", contentType: "application/x-www-form-urlencoded", body: "messages=hi", status: 415 },
    post("prototype poisoning", '{"__proto__": {"admin": true}, "messages": [{"role": "user", "content": "hi"}]}', 400),
    post("missing messages", {}, 400, "missing_required_parameter"),
    post("messages not an array", { messages: "hello" }, 400, "invalid_type"),
    post("empty messages", { messages: [] }, 400),
    post("message not an object", { messages: [5] }, 400),
    post("unknown role", { messages: [{ role: "wizard", content: "hi" }] }, 400),
    post("tool role", { messages: [{ role: "tool", content: "hi", tool_call_id: "x" }] }, 400),
    post("missing role", { messages: [{ content: "hi" }] }, 400),
    post("missing content", { messages: [{ role: "user" }] }, 400, "missing_required_parameter"),
    post("content is a number", user(42), 400, "invalid_type"),
    post("content is an empty list", user([]), 400),
    post("unknown content part type", user([{ type: "input_audio", input_audio: { data: "", format: "wav" } }]), 400),
    post("text part without text", user([{ type: "text" }]), 400, "missing_required_parameter"),
    post("image in a system message", { messages: [{ role: "system", content: [img(tiny)] }, { role: "user", content: "hi" }] }, 400),
    post("image_url without url", user([{ type: "image_url", image_url: {} }]), 400, "missing_required_parameter"),
    post("image_url with empty url", user([img("")]), 400),
    post("image_url given as a string", user([{ type: "image_url", image_url: tiny }]), 400, "invalid_type"),
    post("data URI without a comma", user([img("data:image/png;base64")]), 400, "invalid_data_uri"),
    post("data URI with bad base64", user([img("data:image/png;base64,@@@not-base64@@@")]), 400, "invalid_data_uri"),
    post("data URI of a non-image type", user([img("data:text/plain;base64,aGVsbG8=")]), 400, "unsupported_image_type"),
    post("SVG image", user([img(svg)]), 400, "unsupported_image_type"),
    post("BMP image", user([img(bmp)]), 400, "unsupported_image_type"),
    post("truncated PNG", user([img(truncated)]), 400, "invalid_image"),
    post("too many images", user([...Array.from({ length: limits.maxImages + 1 }, () => img(tiny)), { type: "text", text: "hi" }]), 400, "too_many_images"),
    post("too many pixels", user([img(bomb), { type: "text", text: "hi" }]), 400, "image_too_large"),
    post("too many bytes", user([img(huge)]), 400, "image_too_large"),
    post("http image URL (not enabled)", user([img("http://127.0.0.1:9/x.png")]), 400, "image_url_not_allowed"),
    post("local image path (not enabled)", user([img("/etc/passwd")]), 400, "image_url_not_allowed"),
    post("unknown model", { model: "gpt-4o", ...ok }, 404, "model_not_found"),
    post("n = 2", { ...ok, n: 2 }, 400),
    post("negative temperature", { ...ok, temperature: -1 }, 400),
    post("temperature as a string", { ...ok, temperature: "hot" }, 400, "invalid_type"),
    post("top_p above 1", { ...ok, top_p: 1.5 }, 400),
    post("max_tokens 0", { ...ok, max_tokens: 0 }, 400),
    post("fractional max_tokens", { ...ok, max_tokens: 2.5 }, 400, "invalid_type"),
    post("five stop strings", { ...ok, stop: ["a", "b", "c", "d", "e"] }, 400),
    post("stop as a number", { ...ok, stop: 7 }, 400, "invalid_type"),
    post("fractional seed", { ...ok, seed: 1.5 }, 400, "invalid_type"),
    post("stream as a string", { ...ok, stream: "yes" }, 400, "invalid_type"),
    post("stream_options without stream", { ...ok, stream_options: { include_usage: true } }, 400),
    post("unknown response_format type", { ...ok, response_format: { type: "xml" } }, 400),
    post("json_schema without a name", { ...ok, response_format: { type: "json_schema", json_schema: { schema: { type: "object" } } } }, 400),
    post("json_schema that is not a schema", { ...ok, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "strin" } } } }, 400, "invalid_response_format"),
    post("logprobs requested", { ...ok, logprobs: true }, 400),
    post("unsupported parameter (tools)", { ...ok, tools: [] }, 400, "unknown_parameter"),
    post("prompt longer than the context", user(longText), 400, "context_length_exceeded"),
    post("body larger than the limit", user("x".repeat(limits.bodyLimit + 1)), 413),
    { name: "unknown URL", method: "GET", path: "/v1/nothing-here", status: 404 },
    { name: "wrong method", method: "GET", path: "/v1/chat/completions", status: 404 },
    { name: "unknown model card", method: "GET", path: "/v1/models/gpt-4o", status: 404, code: "model_not_found" },
  ];
}

/** Sends one case; returns the status and the parsed body (null when it is not JSON). */
export async function sendCase(base: string, c: MalformedCase): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + c.path, {
    method: c.method,
    headers: c.contentType ? { "content-type": c.contentType } : {},
    body: c.method === "POST" ? c.body : undefined,
  });
  const text = await res.text();
  let body: unknown = null;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body };
}

/** True when `body` is OpenAI's error shape. */
export function isOpenAiError(body: unknown): boolean {
  const e = (body as { error?: Record<string, unknown> } | null)?.error;
  return !!e && typeof e.message === "string" && e.message.length > 0 && typeof e.type === "string" && "param" in e && "code" in e;
}
