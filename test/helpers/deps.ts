// Test dependencies: a sandbox organisation plus TaskDeps bound to it, so task tests run the real code against the sandbox.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SandboxEnvironment } from '../../sandbox';
import { createSandboxEnvironment } from '../../sandbox';
import type { Scenario } from '../../sandbox/scenario';
import type { CustodyStore } from '../../tasks/lib/case-store';
import { createCaseStore } from '../../tasks/lib/case-store';
import type { ArtifactRecord, CustodyEvent, TaskDeps } from '../../tasks/lib/task';

export interface TestContext {
  readonly env: SandboxEnvironment;
  readonly deps: TaskDeps;
  /** Every custody event recorded, in order, per case. */
  readonly events: CustodyEvent[];
  /** Every artifact written, with its bytes, keyed by its case-relative key. */
  readonly artifacts: Map<string, { record: ArtifactRecord; bytes: Buffer }>;
}

/**
 * The real case store (evidence in the sandbox bucket on disk, custody log as locked per-entry objects), wrapped so tests
 * can also read what was recorded from `events` and `artifacts` without going through S3.
 */
export function makeTestContext(scenario?: string | Scenario): TestContext {
  const env = createSandboxEnvironment({ scenario, root: mkdtempSync(join(tmpdir(), 'custody-test-')) });
  const events: CustodyEvent[] = [];
  const artifacts = new Map<string, { record: ArtifactRecord; bytes: Buffer }>();
  const actor = {
    principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody',
    execution: 'test-execution',
  };
  const clients = env.clients('custody-test');
  const now = (): Date => new Date();
  const store = (caseId: string, region: string): CustodyStore => {
    const real = createCaseStore({ caseId, region, config: env.config, clients, actor, now, retryBaseMs: 2 });
    return {
      ...real,
      async putArtifact(request) {
        const bytes = await toBuffer(request.body);
        const record = await real.putArtifact({ ...request, body: bytes });
        artifacts.set(request.key, { record, bytes });
        events.push({ action: 'artifact.acquired', target: request.target, artifact: record });
        return record;
      },
      async record(event) {
        await real.record(event);
        events.push(event);
      },
      async append(event) {
        const entry = await real.append(event);
        events.push(event);
        return entry;
      },
    };
  };
  const deps: TaskDeps = { config: env.config, clients, actor, now, store };
  return { env, deps, events, artifacts };
}

async function toBuffer(body: Readable | Uint8Array | string): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
