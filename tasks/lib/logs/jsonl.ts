// Streams JSON Lines in and out without holding a whole source in memory.
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

/** A Readable of newline-terminated lines pulled from an async source, page by page, as the consumer reads. */
export function linesStream(lines: AsyncIterable<string>): Readable {
  async function* withNewlines(): AsyncGenerator<string> {
    for await (const line of lines) yield `${line}\n`;
  }
  return Readable.from(withNewlines(), { objectMode: false });
}

/** The lines of a stream, one at a time (a trailing empty line is not a line). */
export async function* readLines(stream: Readable): AsyncGenerator<string> {
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of reader) if (line !== '') yield line;
}

