// Benchmark: a multi-GiB memory image through CaptureMemory → the simulated agent → presigned multipart upload → CheckCommand.
// Prints throughput, the orchestrator process's peak RSS, and the ratio to plain SHA-256 hashing of the same bytes (reference).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxEnvironment } from '../sandbox';
import { loadScenario } from '../sandbox/scenario';
import { memoryImage, SANDBOX_TOOLS, stageCaptureTools, toolSha256 } from '../sandbox/ssm-agent';
import { captureMemory } from '../tasks/capture-memory';
import { checkCommand } from '../tasks/check-command';
import type { Case } from '../tasks/lib/case';
import { CaseOptionsSchema } from '../tasks/lib/case';
import { forensicsFor } from '../tasks/lib/config';
import type { ArtifactRecord, CaseStore, TaskDeps } from '../tasks/lib/task';

export interface MemoryBenchResult {
  readonly imageBytes: number;
  readonly seconds: number;
  readonly referenceSeconds: number;
  readonly peakRssBytes: number;
  readonly baselineRssBytes: number;
  readonly artifact?: ArtifactRecord;
  readonly gaps: number;
}

/** Runs one capture of `memoryMiB` against a fresh sandbox and measures it; the store only keeps records (no bodies). */
export async function runMemoryBench(memoryMiB: number): Promise<MemoryBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'custody-bench-memory-'));
  try {
    const scenario = loadScenario();
    const instance = scenario.accounts[1].regions['eu-west-1'].instances[0];
    instance.memoryMiB = memoryMiB;
    const env = createSandboxEnvironment({ scenario, root });
    const bucket = forensicsFor(env.config, 'eu-west-1').evidenceBucket;
    await stageCaptureTools(env.sandbox, bucket);
    const records: ArtifactRecord[] = [];
    const store = (caseId: string, region: string): CaseStore => ({
      caseId,
      region,
      putArtifact: async (request) => ({
        key: request.key,
        bytes: 0,
        sha256: '',
        source: request.source,
        tool: 'custody',
        toolVersion: '0',
      }),
      record: async (event) => {
        if (event.artifact) records.push(event.artifact);
      },
    });
    const deps: TaskDeps = {
      config: env.config,
      clients: env.clients('custody-bench'),
      actor: { principal: 'bench', execution: 'bench' },
      now: () => new Date(),
      store,
    };
    const kase: Case = {
      caseId: '7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b',
      mode: 'collect',
      trigger: 'manual',
      targets: [{ instanceId: instance.instanceId, accountId: '222222222222', region: 'eu-west-1' }],
      requestedBy: 'bench',
      reason: 'bench',
      options: CaseOptionsSchema.parse({}),
      openedAt: new Date().toISOString(),
    };
    const target = kase.targets[0];
    const facts = {
      instanceId: instance.instanceId,
      state: 'running',
      platform: 'linux' as const,
      instanceType: 't3.large',
      memoryMiB,
      availabilityZone: 'eu-west-1a',
      networkInterfaces: [],
      volumes: [],
      instanceStore: [],
      tags: {},
    };
    const tools = {
      linux: { key: SANDBOX_TOOLS.linux.key, sha256: toolSha256('linux'), name: 'avml', version: '0.14.0' },
    };

    const reference = Date.now();
    const image = memoryImage(instance);
    const hash = createHash('sha256');
    for (const chunk of image.chunks(0, image.size)) hash.update(chunk);
    hash.digest();
    const referenceSeconds = (Date.now() - reference) / 1000;

    global.gc?.();
    const baselineRssBytes = process.memoryUsage().rss;
    let peakRssBytes = baselineRssBytes;
    const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 20);
    const started = Date.now();
    const sent = await captureMemory({ case: kase, target, instance: facts, tools }, deps);
    const checked = sent.command ? await checkCommand({ case: kase, target, command: sent.command }, deps) : undefined;
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
    return {
      imageBytes: image.size,
      seconds,
      referenceSeconds,
      peakRssBytes,
      baselineRssBytes,
      artifact: records[0],
      gaps: sent.gaps.length + (checked?.gaps.length ?? 0),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const mib = Number(process.env.CUSTODY_BENCH_MEMORY_MIB ?? 3072);
  const result = await runMemoryBench(mib);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `memory image           ${mb(result.imageBytes)} MiB (${result.artifact ? 'verified' : `NOT verified, ${result.gaps} gap(s)`})`,
  );
  console.log(
    `capture + upload       ${result.seconds.toFixed(2)} s  (${mb(result.imageBytes / result.seconds)} MiB/s)`,
  );
  console.log(
    `reference (hash only)  ${result.referenceSeconds.toFixed(2)} s  → ratio ${(result.seconds / result.referenceSeconds).toFixed(2)}×`,
  );
  console.log(
    `orchestrator RSS       baseline ${mb(result.baselineRssBytes)} MiB, peak ${mb(result.peakRssBytes)} MiB (+${mb(result.peakRssBytes - result.baselineRssBytes)} MiB)`,
  );
}

if (require.main === module) void main();
