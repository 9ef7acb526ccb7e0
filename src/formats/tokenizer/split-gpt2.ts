import { CPT_LETTER, CPT_NUMBER, CPT_WHITESPACE, cptFlags } from "./unicode.js";

/**
 * GPT-2's split  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+  written out by
 * hand, as llama.cpp does (its std::regex fallback is slow and this is what it runs).
 * Takes the code points of one segment, returns the lengths of its pieces.
 */
export function splitGpt2(cpts: readonly number[], start: number, end: number, out: number[]): void {
  const cpt = (i: number) => (i >= start && i < end ? cpts[i] : -1);
  const flags = (i: number) => (i >= start && i < end ? cptFlags(cpts[i]) : 0);
  let prev = start;
  const emit = (to: number) => {
    const len = to - prev;
    if (len > 0) out.push(len);
    prev = to;
    return len;
  };
  const isOther = (f: number) => (f & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) === 0 && f !== 0;

  for (let pos = start; pos < end;) {
    const c = cpt(pos);
    const f = flags(pos);
    if (c === 0x27 && pos + 1 < end) { // '
      const n1 = cpt(pos + 1);
      if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) { pos += emit(pos + 2); continue; } // s t m d
      if (pos + 2 < end) {
        const n2 = cpt(pos + 2);
        if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) { // re ve ll
          pos += emit(pos + 3);
          continue;
        }
      }
    }
    let f2 = c === 0x20 ? flags(pos + 1) : f;
    if (f2 & CPT_LETTER) {
      if (c === 0x20) pos++;
      while (f2 & CPT_LETTER) f2 = flags(++pos);
      emit(pos);
      continue;
    }
    if (f2 & CPT_NUMBER) {
      if (c === 0x20) pos++;
      while (f2 & CPT_NUMBER) f2 = flags(++pos);
      emit(pos);
      continue;
    }
    if (isOther(f2)) {
      if (c === 0x20) pos++;
      while (isOther(f2)) f2 = flags(++pos);
      emit(pos);
      continue;
    }
    let nWs = 0;
    while (flags(pos + nWs) & CPT_WHITESPACE) nWs++;
    if (nWs > 1 && cpt(pos + nWs) !== -1) { // \s+(?!\S): leave the last space for the next word
      pos += nWs - 1;
      emit(pos);
      continue;
    }
    if (nWs > 0) {
      pos += nWs;
      emit(pos);
      continue;
    }
    emit(++pos);
  }
}
