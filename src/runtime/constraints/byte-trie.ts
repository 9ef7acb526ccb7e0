/**
 * A byte trie over token pieces, laid out in pre-order so a walk is a forward scan: node i's subtree
 * is i..end[i]-1, its byte is byte[i] at depth depth[i], and the tokens whose piece ends there are
 * toks[tokStart[i]..tokStart[i+1]). Node 0 is the root (the empty prefix).
 */
export class ByteTrie {
  readonly byte: Uint8Array;
  readonly depth: Uint16Array;
  readonly end: Int32Array;
  readonly parent: Int32Array;
  readonly tokStart: Int32Array;
  readonly toks: Int32Array;
  readonly nodeCount: number;
  readonly maxPiece: number;
  /** For each token (in `toks` order) the node where its piece ends. */
  readonly tokNode: Int32Array;

  /** `keys[id]`: the piece of token id as a latin1 string (one char per byte); `ids`: the tokens. */
  constructor(keys: readonly string[], idsIn: readonly number[]) {
    // the default string order of latin1 strings is byte order
    const ids = [...idsIn].sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    let total = 0, maxPiece = 0;
    for (const id of ids) { total += keys[id].length; maxPiece = Math.max(maxPiece, keys[id].length); }
    this.maxPiece = maxPiece;
    const byte = new Uint8Array(total + 1), depth = new Uint16Array(total + 1);
    const end = new Int32Array(total + 1), parent = new Int32Array(total + 1).fill(-1);
    const tokNode = new Int32Array(ids.length);
    const path = new Int32Array(maxPiece + 1); // path[d] = node at depth d on the current branch
    let n = 1, cur = 0, prev = "";
    for (let k = 0; k < ids.length; k++) {
      const key = keys[ids[k]];
      let common = 0;
      const lim = Math.min(cur, key.length);
      while (common < lim && key.charCodeAt(common) === prev.charCodeAt(common)) common++;
      for (let d = cur; d > common; d--) end[path[d]] = n; // branches left behind are finished
      for (let d = common + 1; d <= key.length; d++) {
        byte[n] = key.charCodeAt(d - 1);
        depth[n] = d;
        parent[n] = path[d - 1];
        path[d] = n++;
      }
      cur = key.length;
      prev = key;
      tokNode[k] = path[cur];
    }
    for (let d = cur; d >= 0; d--) end[path[d]] = n;
    this.nodeCount = n;
    this.byte = byte.slice(0, n);
    this.depth = depth.slice(0, n);
    this.end = end.slice(0, n);
    this.parent = parent.slice(0, n);
    this.toks = Int32Array.from(ids);
    this.tokNode = tokNode;
    // tokens come in pre-order of their nodes, so each node's tokens are one run
    this.tokStart = new Int32Array(n + 1);
    let k = 0;
    for (let i = 0; i <= n; i++) {
      while (k < tokNode.length && tokNode[k] < i) k++;
      this.tokStart[i] = k;
    }
  }
}
