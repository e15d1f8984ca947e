// Benchmark: analyses a million generated log lines into a timeline in bounded memory, against `wc -l` over the same files.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { generateCloudTrailEvents, generateDnsLines, generateFlowLines } from '../sandbox/log-generator';
import type { Case } from '../tasks/lib/case';
import type { EvidenceReader } from '../tasks/lib/logs/analysis';
import { analyzeRegion } from '../tasks/lib/logs/analysis';
import type { ArtifactRecord, CaseStore, PutArtifactRequest } from '../tasks/lib/task';

const TOTAL = Number(process.env.BENCH_LINES ?? 1_000_000);
const ACCOUNT = '222222222222';
const INSTANCE = 'i-0c0ffee1234567890';
const WINDOW = { start: '2026-11-27T00:00:00Z', end: '2026-11-27T23:00:00Z', accountId: ACCOUNT };

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Flow log records as vpc-flow.log holds them: the record alone, one per line. */
function* flowRecords(events: Iterable<{ message: string }>): Generator<string> {
  for (const event of events) yield event.message;
}

function* wrapped(
  group: string,
  events: Iterable<{ timestamp: number; message: string; logStreamName: string }>,
): Generator<string> {
  let n = 0;
  for (const event of events) {
    n += 1;
    yield JSON.stringify({
      logGroupName: group,
      logStreamName: event.logStreamName,
      timestamp: event.timestamp,
      ingestionTime: event.timestamp + 5000,
      eventId: String(n),
      message: event.message,
    });
  }
}

/** The files CollectLogs would have written for one instance, in its formats: 70% flows, 25% DNS, 5% CloudTrail. */
async function generate(logsDir: string): Promise<string[]> {
  const flows = Math.round(TOTAL * 0.7);
  const dns = Math.round(TOTAL * 0.25);
  const trail = TOTAL - flows - dns;
  const files = ['vpc-flow.log', 'dns.jsonl', 'cloudtrail.jsonl'].map((file) => join(logsDir, file));
  await writeLines(
    files[0],
    flowRecords(
      generateFlowLines({
        kind: 'vpc-flow',
        ...WINDOW,
        seed: 1,
        count: flows,
        logGroup: '/flow',
        networkInterfaceId: 'eni-0a1b2c3d4e5f60001',
        localIp: '10.20.1.57',
      }),
    ),
  );
  await writeLines(
    files[1],
    wrapped(
      '/dns',
      generateDnsLines({
        kind: 'dns',
        ...WINDOW,
        seed: 2,
        count: dns,
        logGroup: '/dns',
        region: 'eu-west-1',
        vpcId: 'vpc-1',
        instanceId: INSTANCE,
        srcaddr: '10.20.1.57',
      }),
    ),
  );
  const records = generateCloudTrailEvents({
    kind: 'cloudtrail',
    ...WINDOW,
    seed: 3,
    count: trail,
    region: 'eu-west-1',
    roleName: 'web-server-role',
    sessionName: INSTANCE,
    sourceIPAddress: '10.20.1.57',
  });
  await writeLines(
    files[2],
    (function* () {
      for (const record of records) yield JSON.stringify(record);
    })(),
  );
  await writeLines(join(logsDir, 'query.json'), [JSON.stringify({ addresses: ['10.20.1.57', '203.0.113.57'] })]);
  return files;
}

/** A store that streams each artifact to disk while hashing it, as the evidence writer does, without keeping it in memory. */
function fileStore(dir: string): CaseStore {
  return {
    caseId: 'bench',
    region: 'eu-west-1',
    async putArtifact(request: PutArtifactRequest): Promise<ArtifactRecord> {
      const path = join(dir, request.key.replace(/\//g, '_'));
      const out = createWriteStream(path);
      const hash = createHash('sha256');
      let bytes = 0;
      const body =
        typeof request.body === 'string' || request.body instanceof Uint8Array
          ? [request.body]
          : (request.body as Readable);
      for await (const chunk of body) {
        const buffer = Buffer.from(chunk as Uint8Array);
        hash.update(buffer);
        bytes += buffer.length;
        if (!out.write(buffer)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      return {
        key: request.key,
        bytes,
        sha256: hash.digest('hex'),
        source: request.source,
        tool: 'custody',
        toolVersion: 'bench',
      };
    },
    async record() {},
  };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'custody-bench-analysis-'));
  try {
    const caseDir = join(root, 'case');
    const logsDir = join(caseDir, ACCOUNT, INSTANCE, 'logs');
    mkdirSync(logsDir, { recursive: true });
    const files = await generate(logsDir);
    const reader: EvidenceReader = {
      open: async (key) =>
        files.some((file) => file.endsWith(key)) || key.endsWith('query.json')
          ? createReadStream(join(caseDir, key))
          : undefined,
      custodyEntries: async () => [],
    };
    const caseData: Case = {
      caseId: '00000000-0000-4000-8000-000000000000',
      mode: 'collect',
      trigger: 'manual',
      targets: [{ instanceId: INSTANCE, accountId: ACCOUNT, region: 'eu-west-1' }],
      requestedBy: 'bench',
      reason: 'benchmark',
      options: {
        isolate: true,
        memory: true,
        volatile: true,
        logs: true,
        snapshots: true,
        logWindowHours: 24,
        isolationPolicy: 'capture-first',
      },
      openedAt: '2026-11-27T23:00:00.000Z',
    };
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const result = await analyzeRegion(caseData, 'eu-west-1', reader, fileStore(join(root)), { tmpDir: root });
    const analysisSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;

    const wcStarted = process.hrtime.bigint();
    const wc = spawnSync('wc', ['-l', ...files], { encoding: 'utf8' });
    const wcSeconds = Number(process.hrtime.bigint() - wcStarted) / 1e9;
    const wcLines = Number(/(\d+)\s+total/.exec(wc.stdout)?.[1] ?? 0);

    const analysisRate = result.linesRead / analysisSeconds;
    const wcRate = wcLines / wcSeconds;
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    console.log(
      `lines read ${result.linesRead} (wc -l ${wcLines}), timeline events ${result.timeline.events}, correlations ${result.findings.count}`,
    );
    console.log(`timeline sha256 ${result.timeline.sha256}, findings sha256 ${result.findings.sha256}`);
    // CPU seconds next to wall seconds: on a shared machine the wall time also counts other processes' load.
    console.log(
      `analysis ${analysisSeconds.toFixed(2)} s (cpu ${cpuSeconds.toFixed(2)} s), wc -l ${wcSeconds.toFixed(3)} s`,
    );
    console.log(
      `analysis: ${Math.round(analysisRate)} lines/s, wc -l: ${Math.round(wcRate)} lines/s, ratio ${(analysisRate / wcRate).toFixed(4)}, peak rss ${peakMiB.toFixed(0)} MiB`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
