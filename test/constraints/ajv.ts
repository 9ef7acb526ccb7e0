import * as ajv2020 from "ajv/dist/2020.js";

// ajv is CommonJS: under NodeNext the class is the `default` of the module's default export.
type AjvClass = typeof ajv2020.Ajv2020;
const mod = ajv2020 as unknown as { default: AjvClass | { default: AjvClass } };
const Ajv2020: AjvClass = "default" in mod.default ? mod.default.default : mod.default;

/** A validator for a schema (draft 2020-12 rules; `definitions` work as a plain location). */
export function validator(schema: object | boolean): (value: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  const v = ajv.compile(schema as object);
  return (value) => v(value) as boolean;
}
