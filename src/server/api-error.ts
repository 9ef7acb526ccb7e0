import { isUserError, type UserErrorCode } from "../errors.js";

/** The body OpenAI's API answers errors with (and the official clients read). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An HTTP error with OpenAI's shape: status, message, machine-readable code, and the offending field. */
export class ApiError extends Error {
  readonly type: string;
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    type?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.type = type ?? defaultType(status);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function defaultType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

const USER_ERROR_CODES: Record<UserErrorCode, string> = {
  bad_file: "invalid_file",
  unsupported: "unsupported",
  missing: "missing",
  bad_argument: "invalid_value",
  bad_image: "invalid_image",
  too_large: "too_large",
  aborted: "cancelled",
};

/** A UserError from the library becomes a 400 with the library's message; anything else stays as is. */
export function fromUserError(e: unknown, param: string | null = null): unknown {
  if (!isUserError(e)) return e;
  return new ApiError(400, e.message, USER_ERROR_CODES[e.code], param);
}
