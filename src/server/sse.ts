import { PassThrough } from "node:stream";

/** Server-sent events as OpenAI streams them: `data: <json>\n\n` per event, `data: [DONE]\n\n` at the end. */
export class SseStream {
  readonly stream = new PassThrough();

  constructor() {
    // a client that goes away destroys the stream; that is expected, not a crash
    this.stream.on("error", () => {});
  }

  get open(): boolean {
    return !this.stream.destroyed && !this.stream.writableEnded;
  }

  send(event: unknown): void {
    if (this.open) this.stream.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  done(): void {
    if (!this.open) return;
    this.stream.write("data: [DONE]\n\n");
    this.stream.end();
  }
}
