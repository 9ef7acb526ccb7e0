import { pino, type Logger } from "pino";

/** JSON-lines logs (pino) on stdout, or to `destination` (a file descriptor or stream-like). */
export function createLogger(level = "info", destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: "pocketvlm" }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination(1));
}
