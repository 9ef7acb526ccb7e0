/** The image drop zone: click to pick, or drop a file; shows a preview and reports the file. */
export function imagePicker(zone: HTMLElement, input: HTMLInputElement, preview: HTMLImageElement, onPick: (file: File) => void): void {
  const pick = (file: File | undefined) => {
    if (!file) return;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    zone.classList.add("has-image");
    onPick(file);
  };
  input.addEventListener("change", () => pick(input.files?.[0]));
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    pick(e.dataTransfer?.files[0]);
  });
}
