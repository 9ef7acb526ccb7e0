/**
 * Errors are values with names. A `UserError` is a mistake the user can fix (a bad file, a bad image,
 * a bad request): interfaces print its message alone and exit non-zero, without a stack trace.
 * Anything else is an internal bug and stays loud.
 */
export type UserErrorCode =
  | "bad_file"        // a file that is not what it claims (corrupt, truncated, wrong magic)
  | "unsupported"     // a valid file using something we do not implement (arch, tensor type)
  | "missing"         // a file, tensor or key that should be there is not
  | "bad_argument"    // a flag, option or request field with an invalid value
  | "bad_image"       // an image that cannot be decoded or is too large
  | "too_large"       // a size limit was hit
  | "aborted";        // the caller cancelled

export class UserError extends Error {
  readonly code: UserErrorCode;
  constructor(code: UserErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UserError";
    this.code = code;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
