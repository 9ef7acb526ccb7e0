import { LBRACE, LBRACKET, QUOTE } from "./bytes.js";
import type { Ctx, Frame } from "./frame.js";
import type { Node } from "./grammar.js";
import { ArrayFrame } from "./array-frame.js";
import { LiteralFrame } from "./literal-frame.js";
import { NumberFrame } from "./number-frame.js";
import { ObjectFrame } from "./object-frame.js";
import { StringFrame } from "./string-frame.js";

/**
 * Reads `b`, the first byte of a value of `node`, for the container frame `up` (already in its
 * "waiting for the value" phase). A union forks: each alternative that can start with `b` and still
 * finish within the depth limit becomes its own top frame.
 */
export function startValue(node: Node, up: Frame, b: number, out: Frame[], ctx: Ctx): void {
  switch (node.kind) {
    case "union":
      for (const alt of node.alts) if (up.depth + alt.minDepth <= ctx.maxDepth) startValue(alt, up, b, out, ctx);
      return;
    case "object":
      if (b === LBRACE) out.push(ObjectFrame.open(node, up));
      return;
    case "array":
      if (b === LBRACKET) out.push(ArrayFrame.open(node, up));
      return;
    case "string":
      if (b === QUOTE) out.push(StringFrame.open(node, up));
      return;
    case "number":
      NumberFrame.start(node, up, b, out);
      return;
    case "literal":
      LiteralFrame.start(node.set, up, b, out);
      return;
  }
}
