// Test dependencies: a sandbox organisation plus TaskDeps bound to it, so task tests run the real code against the sandbox.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SandboxEnvironment } from '../../sandbox';
import { createSandboxEnvironment } from '../../sandbox';
import type { Scenario } from '../../sandbox/scenario';
import type { ArtifactRecord, CaseStore, CustodyEvent, TaskDeps } from '../../tasks/lib/task';

export interface TestContext {
  readonly env: SandboxEnvironment;
  readonly deps: TaskDeps;
  /** Every custody event recorded, in order, per case. */
  readonly events: CustodyEvent[];
  /** Every artifact written, with its bytes, keyed by its case-relative key. */
  readonly artifacts: Map<string, { record: ArtifactRecord; bytes: Buffer }>;
}

export function makeTestContext(scenario?: string | Scenario): TestContext {
  const env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-test-')) });
  const events: CustodyEvent[] = [];
  const artifacts = new Map<string, { record: ArtifactRecord; bytes: Buffer }>();
  const actor = { principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody', execution: 'test-execution' };
  // Until tasks/lib/case-store.ts lands, artifacts are kept in memory with their real hashes.
  const store = (caseId: string, region: string): CaseStore => ({
    caseId,
    region,
    async putArtifact(request) {
      const bytes = await toBuffer(request.body);
      const record: ArtifactRecord = {
        key: request.key,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        source: request.source,
        tool: request.tool ?? 'custody',
        toolVersion: request.toolVersion ?? '0.1.0',
      };
      artifacts.set(request.key, { record, bytes });
      events.push({ action: 'artifact.acquired', target: request.target, artifact: record });
      return record;
    },
    async record(event) {
      events.push(event);
    },
  });
  const deps: TaskDeps = { config: env.config, clients: env.clients('custody-test'), actor, now: () => new Date(), store };
  return { env, deps, events, artifacts };
}

async function toBuffer(body: Readable | Uint8Array | string): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
