import type { FastifyError, FastifyInstance } from "fastify";
import { ApiError, fromUserError } from "./api-error.js";
import { validationError, type AjvErrorLike } from "./validation-message.js";

/** Framework errors (body parsing, limits) → OpenAI-shaped errors with a message a person can act on. */
function frameworkError(e: FastifyError): ApiError | null {
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, `We could not parse the JSON body of your request (${e.message}). The body must be one JSON object.`, "invalid_json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "The request body is empty; send one JSON object.", "invalid_json");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, `The request body is larger than this server accepts (${e.message}).`, "request_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "Content-Type must be application/json.", "unsupported_media_type");
  }
  if (e instanceof SyntaxError || e.name === "SyntaxError") {
    return new ApiError(400, `We could not parse the JSON body of your request (${e.message}).`, "invalid_json");
  }
  const status = e.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError(status, e.message, e.code ? e.code.toLowerCase() : null);
  return null;
}

/** Every error leaves the server in OpenAI's shape; internal ones are logged with their stack and answered 500. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let api: ApiError | null = null;
    const mapped = fromUserError(err);
    if (mapped instanceof ApiError) api = mapped;
    else if (err.validation && err.validation.length > 0) api = validationError(err.validation[0] as AjvErrorLike, err.validationContext);
    else api = frameworkError(err);
    if (api === null) {
      request.log.error({ err }, "internal error");
      api = new ApiError(500, "The server had an error while processing your request.", "internal_error");
    } else if (api.status >= 500) {
      request.log.warn({ status: api.status, code: api.code, msg_detail: api.message }, "request refused");
    } else {
      request.log.info({ status: api.status, code: api.code, param: api.param, error: api.message }, "bad request");
    }
    for (const [k, v] of Object.entries(api.headers)) reply.header(k, v);
    return reply.code(api.status).type("application/json").send(api.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split("?")[0].slice(0, 200);
    const api = new ApiError(404, `Invalid URL (${request.method} ${url})`, "unknown_url");
    return reply.code(404).send(api.body());
  });
}
