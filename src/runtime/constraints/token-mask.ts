import type { ByteTrie } from "./byte-trie.js";
import type { JsonRecognizer, State } from "./recognizer.js";
import type { TokenTrie } from "./token-trie.js";

/**
 * Sets mask[id] = 1 for every token whose whole piece the recogniser accepts from `state` (and for
 * end-of-generation ids if the value is complete), 0 for the rest.
 *
 * Inside a string, plain tokens (text without quotes, escapes or partial characters) are allowed by
 * their character count alone, and only the other tokens are walked.
 */
export function fillMask(tt: TokenTrie, rec: JsonRecognizer, state: State, mask: Uint8Array, shortcut = true): void {
  const room = shortcut ? plainRoom(state) : -1;
  if (room >= 0) {
    const { plainIds, plainCounts } = tt;
    const n = plainIds.length;
    if (n > 0 && room >= plainCounts[n - 1]) mask.set(tt.plainMask); // every plain token fits
    else {
      mask.fill(0);
      for (let k = 0; k < n && plainCounts[k] <= room; k++) mask[plainIds[k]] = 1;
    }
    walk(tt.nonPlain, rec, state, mask);
  } else {
    mask.fill(0);
    walk(tt.all, rec, state, mask);
  }
  if (rec.acceptsEnd(state)) for (const id of tt.eog) mask[id] = 1;
}

/**
 * One forward scan of the trie: a byte the recogniser rejects skips the node's whole subtree, and
 * shared prefixes are stepped once.
 */
function walk(trie: ByteTrie, rec: JsonRecognizer, state: State, mask: Uint8Array): void {
  const { byte, depth, end, tokStart, toks } = trie;
  const n = trie.nodeCount;
  const states: State[] = new Array(trie.maxPiece + 1);
  states[0] = state;
  let i = 1;
  while (i < n) {
    const d = depth[i];
    const from = states[d - 1];
    const b = byte[i];
    // the memo lookup inlined: most steps are answered by it
    const memo = from.memo;
    let s = memo !== undefined ? memo[b] : undefined;
    if (s === undefined) s = rec.step(from, b);
    if (s === null) { i = end[i]; continue; }
    states[d] = s;
    for (let k = tokStart[i], e = tokStart[i + 1]; k < e; k++) mask[toks[k]] = 1;
    i++;
  }
}

/** When every alternative is inside a string between characters, the most characters one of them
 *  still takes (a plain token is allowed if it fits any); else -1. */
function plainRoom(state: State): number {
  let room = -1;
  for (const t of state.tops) {
    const r = t.plainRoom;
    if (r < 0) return -1;
    room = Math.max(room, r);
  }
  return room;
}
