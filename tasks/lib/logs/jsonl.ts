// Streams JSON Lines in and out without holding a whole source in memory, a chunk of lines at a time rather than a line at a time.
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

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

/**
 * Splits text arriving in arbitrary chunks into lines. A line ends at `\n` (a `\r` before it is dropped); empty lines are
 * not lines. Multi-byte UTF-8 characters split across chunks are decoded whole.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  /** The complete lines in this chunk (plus the partial line carried from the last one). */
  public push(chunk: Buffer | string): string[] {
    const text = this.rest + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines: string[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      addLine(lines, text, start, end);
      start = end + 1;
    }
    this.rest = start === 0 ? text : text.slice(start);
    return lines;
  }

  /** The last line, when the source did not end with a newline. */
  public end(): string[] {
    const text = this.rest + this.decoder.end();
    this.rest = '';
    const lines: string[] = [];
    addLine(lines, text, 0, text.length);
    return lines;
  }
}

function addLine(lines: string[], text: string, start: number, end: number): void {
  const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
  if (stop > start) lines.push(text.slice(start, stop));
}

/** The lines of a stream, a chunk's worth at a time: one await per chunk instead of one per line. */
export async function* readLineBatches(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  const splitter = new LineSplitter();
  for await (const chunk of stream) {
    const lines = splitter.push(chunk);
    if (lines.length > 0) yield lines;
  }
  const last = splitter.end();
  if (last.length > 0) yield last;
}

/** The lines of a stream, one at a time (a trailing empty line is not a line). */
export async function* readLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  for await (const lines of readLineBatches(stream)) yield* lines;
}
