// Streams JSON Lines in and out without holding a whole source in memory.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

/** Lines are handed to the stream in batches of about this many characters, not one chunk per line. */
const BATCH_CHARS = 64 * 1024;

/** A Readable of newline-terminated lines pulled from an async source, page by page, as the consumer reads. */
export function linesStream(lines: AsyncIterable<string>): Readable {
  async function* batches(): AsyncGenerator<string> {
    let batch = '';
    for await (const line of lines) {
      batch += `${line}\n`;
      if (batch.length >= BATCH_CHARS) {
        yield batch;
        batch = '';
      }
    }
    if (batch) yield batch;
  }
  return Readable.from(batches(), { objectMode: false });
}

/** The lines of a stream, one at a time (a trailing empty line is not a line). */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of reader) if (line !== '') yield line;
}
