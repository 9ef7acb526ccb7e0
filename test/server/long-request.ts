/**
 * A request that runs long on any weights: a JSON string of at least 100,000 characters may not end
 * before the context is full, so the grammar mask keeps end-of-generation out for ~4,000 tokens.
 */
export const LONG = {
  model: "default",
  messages: [{ role: "user" as const, content: "go" }],
  max_tokens: 4000,
  temperature: 0,
  response_format: { type: "json_schema" as const, json_schema: { name: "long", schema: { type: "string", minLength: 100_000 } } },
};
