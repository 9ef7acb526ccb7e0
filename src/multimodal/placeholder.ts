/**
 * The text that stands for one image in the prompt, with the rows where its crops' resampler outputs
 * go. Two schemas (MiniCPM-V 2.5, and 2.6 / 4.0 / 4.5) and two styles: the authors' processor, and
 * llama.cpp's mtmd (no `<image_id>`).
 */
export type PlaceholderSchema = "v2.5" | "v2.6";
export type PlaceholderStyle = "authors" | "llamacpp";

/** Text, or the `queryNum` rows of crop `crop` of this image (0 = overview, then slices row-major). */
export type LayoutPiece = { readonly kind: "text"; readonly text: string } | { readonly kind: "crop"; readonly crop: number };

export interface PlaceholderOptions {
  readonly schema: PlaceholderSchema;
  readonly style?: PlaceholderStyle;
  /** `<image_id>k</image_id>` prefix (V2.6+ authors' style); null/undefined = none. */
  readonly imageId?: number | null;
}

/** The marker the authors put in the chat text for each image before templating. */
export const AUTHORS_IMAGE_MARKER = "(<image>./</image>)";
/** llama.cpp's media marker. */
export const LLAMACPP_MEDIA_MARKER = "<__media__>";

export function imagePlaceholder(grid: readonly [number, number] | null | undefined, opts: PlaceholderOptions): LayoutPiece[] {
  const out: LayoutPiece[] = [];
  const text = (t: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === "text") out[out.length - 1] = { kind: "text", text: last.text + t };
    else out.push({ kind: "text", text: t });
  };
  const crop = (i: number) => out.push({ kind: "crop", crop: i });
  const useId = opts.schema === "v2.6" && (opts.style ?? "authors") === "authors" && opts.imageId != null;
  if (useId) text(`<image_id>${opts.imageId}</image_id>`);
  text("<image>");
  crop(0);
  text("</image>");
  if (!grid) return out;
  const [cols, rows] = grid;
  let next = 1;
  if (opts.schema === "v2.5") text("<slice>");
  for (let r = 0; r < rows; r++) {
    if (r > 0) text("\n");
    for (let c = 0; c < cols; c++) {
      text(opts.schema === "v2.5" ? "<image>" : "<slice>");
      crop(next++);
      text(opts.schema === "v2.5" ? "</image>" : "</slice>");
    }
  }
  if (opts.schema === "v2.5") text("</slice>");
  return out;
}

/** The placeholder as the authors' processor writes it, with `<unk>` standing for every query row. */
export function placeholderText(pieces: readonly LayoutPiece[], queryNum: number, unk = "<unk>"): string {
  return pieces.map((p) => (p.kind === "text" ? p.text : unk.repeat(queryNum))).join("");
}
