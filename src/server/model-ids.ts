import { basename } from "node:path";
import { ApiError } from "./api-error.js";

/** The name the server gives its model, and the other names a request may use for it. */
export class ModelIds {
  readonly id: string;
  private readonly accepted: Set<string>;

  /** `name`: the model's name (the built-in one's, or a Hub repo's); otherwise the id is the model file's (or folder's) basename. */
  constructor(modelPath: string, name?: string) {
    const file = basename(modelPath.replace(/[\\/]+$/, ""));
    this.id = name ?? file;
    this.accepted = new Set([this.id, file, file.replace(/\.gguf$/i, ""), "default"]);
  }

  /** Throws OpenAI's 404 `model_not_found` for a name that is not this model's (no name: this model). */
  check(requested: string | undefined): void {
    if (requested === undefined || this.accepted.has(requested)) return;
    throw new ApiError(404, `The model ${JSON.stringify(requested.slice(0, 100))} does not exist; this server serves ${JSON.stringify(this.id)} (also "default").`, "model_not_found", "model");
  }
}
