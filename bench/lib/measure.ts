// Benchmark plumbing: sizes from the command line, test files, reference tools timed in the same run, medians and peak RSS.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 1e3,
  KB: 1e3,
  KIB: 1024,
  M: 1e6,
  MB: 1e6,
  MIB: 1024 ** 2,
  G: 1e9,
  GB: 1e9,
  GIB: 1024 ** 3,
};

/** Bytes from `4GiB`, `512MiB`, `1.5GB` or a plain byte count. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined)
    throw new Error(`cannot read size ${JSON.stringify(text)}: use e.g. 4GiB, 512MiB or a byte count`);
  return Math.round(Number(match[1]) * unit);
}

/** The value of `--name value` or `--name=value`, if given. */
export function option(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/**
 * Writes `size` bytes made of one random 1 MiB block repeated (fast to produce; every part still differs from a constant
 * and the hashes are checked against the reference tool, so nothing can be skipped).
 */
export async function generateFile(path: string, size: number): Promise<void> {
  const block = randomBytes(1024 * 1024);
  const out = createWriteStream(path, { highWaterMark: 4 * 1024 * 1024 });
  for (let written = 0; written < size; written += block.length) {
    const piece = size - written < block.length ? block.subarray(0, size - written) : block;
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export interface ToolRun {
  readonly seconds: number;
  readonly stdout: string;
}

/** Runs a reference tool and times it from spawn to exit. */
export async function timeTool(command: string, args: readonly string[]): Promise<ToolRun> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return { seconds, stdout: Buffer.concat(chunks).toString('utf8') };
}

/** Runs this same script in a fresh Node process (so its peak RSS is its own) and returns the JSON line it prints last. */
export async function runChild<T>(script: string, args: readonly string[]): Promise<T> {
  // NODE_NO_WARNINGS: the SDK's Node-version notice would otherwise repeat once per measured run.
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`benchmark child ${args.join(' ')} exited with ${code}`);
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** Peak resident set size of this process in MiB (VmHWM, the kernel's high-water mark; resourceUsage as a fallback). */
export function peakRssMiB(): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(safeRead('/proc/self/status'))?.[1];
  return (hwm ? Number(hwm) : process.resourceUsage().maxRSS) / 1024;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
