import { UserError } from "../../errors.js";

/** Typed access to a Hugging Face config.json (or a nested part of it), with errors naming the key. */
export class HfConfig {
  constructor(readonly where: string, readonly raw: Readonly<Record<string, unknown>>) {}

  static of(where: string, json: unknown): HfConfig {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new UserError("bad_file", `${where}: expected a JSON object`);
    }
    return new HfConfig(where, json as Record<string, unknown>);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined && this.raw[key] !== null;
  }

  /** A nested object (e.g. `vision_config`); empty when absent. */
  sub(key: string): HfConfig {
    const v = this.raw[key];
    if (v === undefined || v === null) return new HfConfig(`${this.where} ${key}`, {});
    return HfConfig.of(`${this.where} "${key}"`, v);
  }

  number(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new UserError("missing", `${this.where}: "${key}" is missing`);
    }
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n)) throw new UserError("bad_file", `${this.where}: "${key}" should be a number, not ${JSON.stringify(v)}`);
    return n;
  }

  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  int(key: string, fallback?: number): number {
    const n = this.number(key, fallback);
    if (!Number.isSafeInteger(n) || n < 0) throw new UserError("bad_file", `${this.where}: "${key}" should be a non-negative integer, not ${n}`);
    return n;
  }

  string(key: string, fallback?: string): string {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new UserError("missing", `${this.where}: "${key}" is missing`);
    }
    if (typeof v !== "string") throw new UserError("bad_file", `${this.where}: "${key}" should be a string`);
    return v;
  }

  strings(key: string): string[] {
    const v = this.raw[key];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    return typeof v === "boolean" ? v : fallback;
  }
}
