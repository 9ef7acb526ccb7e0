import type { CropImages } from "../../browser/client.js";

/** Draws each crop the vision tower saw as a thumbnail, labelled with its place in the grid. */
export function showCrops(container: HTMLElement, images: CropImages): void {
  container.replaceChildren();
  images.forEach((img, i) => {
    const slices = img.crops.length - 1;
    const line = document.createElement("p");
    line.textContent = `${images.length > 1 ? `Image ${i + 1}: an` : "An"} overview${img.grid && slices > 0 ? ` + ${slices} slices in a ${img.grid[0]}×${img.grid[1]} grid` : " (not sliced)"}`;
    container.append(line);
    for (const c of img.crops) {
      const fig = document.createElement("figure");
      const canvas = document.createElement("canvas");
      canvas.width = c.pixels.width;
      canvas.height = c.pixels.height;
      canvas.getContext("2d")!.putImageData(c.pixels, 0, 0);
      const cap = document.createElement("figcaption");
      const where = c.kind === "overview" ? "overview" : `slice r${c.row + 1} c${c.col + 1}`;
      cap.append(`${images.length > 1 ? `image ${i + 1}, ` : ""}${where}`, document.createElement("br"), `${c.pixels.width}×${c.pixels.height}`);
      fig.append(canvas, cap);
      container.append(fig);
    }
  });
}
