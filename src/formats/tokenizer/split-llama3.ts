import { CPT_LETTER, CPT_NUMBER, CPT_WHITESPACE, cptFlags, cptToLower } from "./unicode.js";

/**
 * Llama-3's split, written out by hand as llama.cpp does:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Takes the code points of one segment, appends the lengths of its pieces.
 */
export function splitLlama3(cpts: readonly number[], start: number, end: number, out: number[]): void {
  const cpt = (i: number) => (i >= start && i < end ? cpts[i] : -1);
  const flags = (i: number) => (i >= start && i < end ? cptFlags(cpts[i]) : 0);
  let prev = start;
  const emit = (to: number) => {
    const len = to - prev;
    if (len > 0) out.push(len);
    prev = to;
    return len;
  };
  const notWordOrSpace = (f: number) => (f & (CPT_WHITESPACE | CPT_LETTER | CPT_NUMBER)) === 0;
  const isCrLf = (c: number) => c === 0x0d || c === 0x0a;

  for (let pos = start; pos < end;) {
    const c = cpt(pos);
    const f = flags(pos);
    if (c === 0x27 && pos + 1 < end) { // ' followed by a contraction, any case
      const n1 = cptToLower(cpt(pos + 1));
      if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) { pos += emit(pos + 2); continue; }
      if (pos + 2 < end) {
        const n2 = cptToLower(cpt(pos + 2));
        if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
          pos += emit(pos + 3);
          continue;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(isCrLf(c) || f & CPT_NUMBER) && (f & CPT_LETTER || flags(pos + 1) & CPT_LETTER)) {
      pos++;
      while (flags(pos) & CPT_LETTER) pos++;
      emit(pos);
      continue;
    }
    // \p{N}{1,3}
    if (f & CPT_NUMBER) {
      let ini = pos;
      while (flags(pos) & CPT_NUMBER) {
        if (++pos - ini >= 3) { emit(pos); ini = pos; }
      }
      emit(pos);
      continue;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first code point's flags here, not the second's)
    let f2 = c === 0x20 ? flags(pos + 1) : f;
    if (notWordOrSpace(f2) && f !== 0) {
      if (c === 0x20) pos++;
      while (notWordOrSpace(f2) && f2 !== 0) f2 = flags(++pos);
      while (isCrLf(cpt(pos))) pos++;
      emit(pos);
      continue;
    }
    let nWs = 0;
    let lastCrLfEnd = 0;
    while (flags(pos + nWs) & CPT_WHITESPACE) {
      if (isCrLf(cpt(pos + nWs))) lastCrLfEnd = pos + nWs + 1;
      nWs++;
    }
    if (lastCrLfEnd > 0) { // \s*[\r\n]+
      pos = lastCrLfEnd;
      emit(pos);
      continue;
    }
    if (nWs > 1 && cpt(pos + nWs) !== -1) { // \s+(?!\S)
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
