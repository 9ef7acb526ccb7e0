import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { GGUFMetadata, readGGUF } from "../../formats/gguf/reader.js";
import { Tokenizer } from "../../formats/tokenizer/index.js";
import { fileSource } from "../../node/file-source.js";
import { localGgufPath } from "../../node/hub-model.js";

interface TokenizeFlags {
  model: string;
  text: string;
  bos: boolean;
  special: boolean;
}

/** Reads only the GGUF header (metadata), never the tensor data. */
async function loadTokenizer(path: string): Promise<Tokenizer> {
  if (/\.gz$/i.test(path)) throw new UserError("bad_argument", `${path}: compressed GGUF files are not read directly; gunzip it first`);
  const src = await fileSource(path);
  try {
    return Tokenizer.fromMetadata(GGUFMetadata.of(await readGGUF(src)));
  } finally {
    await src.close?.();
  }
}

/** `pocketvlm tokenize`: token ids of a text as one JSON array, like llama.cpp's llama-tokenize --ids. */
export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description("print the token ids of a text as a JSON array (BOS/EOS as the vocabulary asks; special tokens in the text are parsed)")
    .requiredOption("--model <file>", "GGUF model file, or a Hub repo hf:owner/name[:QUANT] (only its tokenizer metadata is read)")
    .requiredOption("--text <text>", "text to tokenize")
    .option("--no-bos", "do not add BOS/EOS tokens (add_special = false)")
    .option("--no-special", "treat special-token text such as <|im_start|> as plain text (parse_special = false)")
    .action(async (flags: TokenizeFlags) => {
      const tokenizer = await loadTokenizer(await localGgufPath(flags.model));
      const ids = tokenizer.encode(flags.text, { addSpecial: flags.bos, parseSpecial: flags.special });
      process.stdout.write(`${JSON.stringify(ids)}\n`);
    });
}
