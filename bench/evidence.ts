// Benchmark: evidence throughput against OpenSSL's SHA-256 (writer) and sha256sum (custody verify), in bounded memory.
// Usage: npm run bench:evidence -- [--size 4GiB] [--dir DIR] [--runs 3] [--only writer|verify] [--small 10000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFile, GiB, median, MiB, option, parseSize, runChild, timeTool } from './lib/measure';
import type { BuiltCase, VerifyRun } from './lib/verify-run';
import { buildCase, runVerify } from './lib/verify-run';
import type { WriterRun } from './lib/writer-run';
import { runWriter } from './lib/writer-run';

interface Settings {
  readonly size: number;
  readonly dir: string;
  readonly runs: number;
  readonly small: number;
  readonly only?: string;
}

function settings(argv: readonly string[]): Settings {
  const runs = Number(option(argv, 'runs') ?? 3);
  const small = Number(option(argv, 'small') ?? 10_000);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!Number.isInteger(small) || small < 0) throw new Error('--small must be a non-negative integer');
  return {
    size: parseSize(option(argv, 'size') ?? '4GiB'),
    dir: option(argv, 'dir') ?? tmpdir(),
    runs,
    small,
    only: option(argv, 'only'),
  };
}

const rate = (bytes: number, seconds: number): number => bytes / MiB / seconds;
const fixed = (value: number, digits = 1): string => value.toFixed(digits);

/** Writer and openssl back to back, alternating which goes first, so both see the same load on a shared machine. */
async function benchWriter(file: string, work: string, s: Settings): Promise<string> {
  const writer: number[] = [];
  const openssl: number[] = [];
  let peak = 0;
  for (let run = 0; run < s.runs; run += 1) {
    const measureOpenssl = async () => {
      const tool = await timeTool('openssl', ['dgst', '-sha256', '-r', file]);
      openssl.push(rate(s.size, tool.seconds));
      return tool.stdout.split(' ')[0];
    };
    const measureWriter = () => runChild<WriterRun>(__filename, ['--child', 'writer', '--file', file, '--dir', work]);
    const first = run % 2 === 0 ? await measureOpenssl() : undefined;
    const result = await measureWriter();
    const reference = first ?? (await measureOpenssl());
    if (result.sha256 !== reference || result.bytes !== s.size || result.stored !== s.size) {
      throw new Error(
        `run ${run + 1}: the writer's SHA-256 ${result.sha256} (${result.bytes} bytes, ${result.stored} stored) differs from openssl's ${reference}`,
      );
    }
    writer.push(rate(s.size, result.seconds));
    peak = Math.max(peak, result.peakRssMiB);
    console.log(
      `  run ${run + 1}: evidence-writer ${fixed(writer[run])} MiB/s, openssl ${fixed(openssl[run])} MiB/s, peak rss ${fixed(result.peakRssMiB, 0)} MiB`,
    );
  }
  const w = median(writer);
  const o = median(openssl);
  return `evidence-writer: ${fixed(w)} MiB/s, openssl sha256: ${fixed(o)} MiB/s, ratio ${fixed(w / o, 3)}, peak rss ${fixed(peak, 0)} MiB`;
}

/** custody verify over a sealed sandbox case and sha256sum over the same artifact files, alternating as above. */
async function benchVerify(file: string, work: string, s: Settings): Promise<string> {
  const started = process.hrtime.bigint();
  const built = await runChild<BuiltCase>(__filename, [
    '--child',
    'build',
    '--file',
    file,
    '--dir',
    work,
    '--small',
    String(s.small),
  ]);
  console.log(
    `  case built and sealed in ${fixed(Number(process.hrtime.bigint() - started) / 1e9)} s: ${built.artifacts} artifacts, ${fixed(built.bytes / GiB, 2)} GiB`,
  );
  const verify: number[] = [];
  const reference: number[] = [];
  let peak = 0;
  for (let run = 0; run < s.runs; run += 1) {
    const measureReference = async () => {
      const tool = await timeTool('xargs', ['-0', '-a', built.listFile, 'sha256sum']);
      reference.push(rate(built.bytes, tool.seconds));
    };
    if (run % 2 === 0) await measureReference();
    const result = await runChild<VerifyRun>(__filename, ['--child', 'verify', '--case', built.caseDir]);
    if (run % 2 === 1) await measureReference();
    if (!result.ok)
      throw new Error(`custody verify found problems in the benchmark case: ${result.problems.join('; ')}`);
    verify.push(rate(built.bytes, result.seconds));
    peak = Math.max(peak, result.peakRssMiB);
    console.log(
      `  run ${run + 1}: custody-verify ${fixed(verify[run])} MiB/s, sha256sum ${fixed(reference[run])} MiB/s, peak rss ${fixed(result.peakRssMiB, 0)} MiB`,
    );
  }
  const v = median(verify);
  const r = median(reference);
  return `custody-verify: ${fixed(v)} MiB/s over ${built.artifacts} artifacts (${fixed(built.bytes / GiB, 2)} GiB), sha256sum: ${fixed(r)} MiB/s, ratio ${fixed(v / r, 3)}, peak rss ${fixed(peak, 0)} MiB`;
}

/** The measured work, each in a process of its own so its peak RSS is its own. */
async function child(argv: readonly string[]): Promise<void> {
  const kind = option(argv, 'child');
  const file = option(argv, 'file') ?? '';
  const dir = option(argv, 'dir') ?? '';
  let result: unknown;
  if (kind === 'writer') result = await runWriter(file, dir);
  else if (kind === 'build') result = await buildCase(file, dir, Number(option(argv, 'small')));
  else if (kind === 'verify') result = await runVerify(option(argv, 'case') ?? '');
  else throw new Error(`unknown benchmark child ${kind}`);
  console.log(JSON.stringify(result));
}

async function main(argv: readonly string[]): Promise<void> {
  if (option(argv, 'child')) return child(argv);
  const s = settings(argv);
  const work = mkdtempSync(join(s.dir, 'custody-bench-evidence-'));
  const cleanup = () => rmSync(work, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const file = join(work, 'evidence.bin');
    console.log(`generating ${fixed(s.size / MiB, 0)} MiB in ${work}`);
    await generateFile(file, s.size);
    // The verify line first: the issue wants the evidence-writer line last.
    const lines: string[] = [];
    if (s.only !== 'writer') lines.push(await benchVerify(file, work, s));
    if (s.only !== 'verify') lines.push(await benchWriter(file, work, s));
    for (const line of lines) console.log(line);
  } finally {
    cleanup();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
