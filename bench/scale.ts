// Benchmark: one sandbox case with N target instances through the whole state machine; one child process per size so
// each size's peak RSS is its own. Prints `instances <N>: wall <s> s, transitions <n>, api calls <n>, peak rss <MiB> MiB`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxEnvironment } from '../sandbox';
import { sandboxDeps } from '../sandbox/deps';
import { loadScenario } from '../sandbox/scenario';
import type { InstanceState, Scenario, VolumeState } from '../sandbox/scenario';
import { stageCaptureTools } from '../sandbox/ssm-agent';
import type { ExecutionHistory } from '../statemachines/limits';
import { runCollectEvidence } from '../statemachines/runner';

export interface ScaleResult {
  readonly instances: number;
  readonly seconds: number;
  readonly transitions: number;
  readonly apiCalls: number;
  readonly peakRssMiB: number;
  readonly status: string;
  readonly summarised: number;
  /** The longest history of one execution (the parent or one Distributed Map child), against the 25,000-event quota. */
  readonly largestHistory: ExecutionHistory;
  readonly histories: readonly ExecutionHistory[];
  /** The largest state input or output, against the 256 KiB payload quota; and CollectTargets' output alone. */
  readonly largestPayload: { readonly state: string; readonly direction: string; readonly bytes: number };
  readonly targetsBytes: number;
}

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/**
 * The default scenario with its web server copied N times: each copy has its own instance id, ENI, private IP and two
 * volumes, a small memory (the capture path is benchmarked on its own in bench/memory-capture.ts) and a few hundred flow
 * log lines; the copies are outside the Auto Scaling group, so only the original exercises fleet detachment.
 */
export function scaleScenario(instances: number, options: Readonly<Record<string, unknown>> = {}): Scenario {
  const scenario = loadScenario('compromised-web-server');
  const region = scenario.accounts.find((account) => account.accountId === ACCOUNT)!.regions[REGION];
  const template = region.instances[0];
  const volumes = new Map(region.volumes.map((volume) => [volume.volumeId, volume]));
  const copies: InstanceState[] = [];
  const copyVolumes: VolumeState[] = [];
  for (let index = 0; index < instances; index += 1) {
    const instanceId = index === 0 ? template.instanceId : `i-05ca1e${hex(index, 11)}`;
    const eni =
      index === 0
        ? template.networkInterfaces[0]
        : {
            ...template.networkInterfaces[0],
            networkInterfaceId: `eni-05ca1e${hex(index, 11)}`,
            privateIpAddress: `10.20.${2 + (index >> 8)}.${index & 255}`,
            publicIpAddress: undefined,
          };
    const blockDevices = template.blockDevices.map((device, disk) => ({
      ...device,
      volumeId: index === 0 ? device.volumeId : `vol-05ca1e${hex(index, 9)}${hex(disk, 2)}`,
    }));
    if (index > 0)
      blockDevices.forEach((device, disk) =>
        copyVolumes.push({ ...volumes.get(template.blockDevices[disk].volumeId)!, volumeId: device.volumeId }),
      );
    const tags = index === 0 ? template.tags : { Name: `web-scale-${index}`, Environment: 'production' };
    copies.push({
      ...structuredClone(template),
      instanceId,
      networkInterfaces: [eni],
      blockDevices,
      tags,
      memoryMiB: 8,
    });
  }
  region.instances = copies;
  region.volumes.push(...copyVolumes);
  region.generatedLogs = copies.map((instance, index) => ({
    kind: 'vpc-flow' as const,
    start: '2026-11-27T00:00:00Z',
    end: '2026-11-27T23:00:00Z',
    accountId: ACCOUNT,
    seed: 100 + index,
    count: 300,
    logGroup: '/custody/vpc-flow-logs',
    networkInterfaceId: instance.networkInterfaces[0].networkInterfaceId,
    localIp: instance.networkInterfaces[0].privateIpAddress,
  }));
  scenario.trigger = {
    mode: 'collect',
    targets: copies.map((instance) => ({ instanceId: instance.instanceId, accountId: ACCOUNT, region: REGION })),
    requestedBy: 'bench: scale',
    reason: `scale benchmark with ${instances} instance(s)`,
    options,
  };
  return scenario;
}

/** Runs one case of N instances in this process and measures it; `options` are the request's case options. */
export async function runScaleCase(
  instances: number,
  options: Readonly<Record<string, unknown>> = {},
): Promise<ScaleResult> {
  const scenario = scaleScenario(instances, options);
  const root = mkdtempSync(join(tmpdir(), 'custody-bench-scale-'));
  try {
    const env = createSandboxEnvironment({ scenario, root });
    for (const destination of Object.values(env.config.regions))
      await stageCaptureTools(env.sandbox, destination.evidenceBucket);
    const started = process.hrtime.bigint();
    const result = await runCollectEvidence(scenario.trigger, { deps: sandboxDeps(env, `scale-${instances}`) });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const targets = (result.output as { targets?: unknown[] } | undefined)?.targets ?? [];
    return {
      instances,
      seconds,
      transitions: result.transitions,
      apiCalls: env.sandbox.calls.length,
      // maxRSS is in KiB (process.resourceUsage(), Node.js docs).
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      status: result.status,
      summarised: targets.length,
      largestHistory: result.largestHistory,
      histories: result.histories,
      largestPayload: result.largestPayload,
      targetsBytes: Buffer.byteLength(JSON.stringify(targets)),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The AWS quotas the run came closest to; printed on stderr so stdout keeps one line per size. */
export function formatLimits(result: ScaleResult): string {
  const { largestHistory: history, largestPayload: payload } = result;
  return `  instances ${result.instances}: largest history ${history.events} events (${history.transitions} transitions, ${history.execution}), largest payload ${payload.bytes} bytes (${payload.state} ${payload.direction}), targets ${result.targetsBytes} bytes`;
}

export function formatLine(result: ScaleResult): string {
  return `instances ${result.instances}: wall ${result.seconds.toFixed(1)} s, transitions ${result.transitions}, api calls ${result.apiCalls}, peak rss ${Math.round(result.peakRssMiB)} MiB`;
}

function parseSizes(argv: readonly string[]): number[] {
  const at = argv.indexOf('--sizes');
  const text = at >= 0 ? argv[at + 1] : '1,10,100,500';
  const sizes = (text ?? '').split(',').map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1))
    throw new Error(`--sizes takes positive integers separated by commas, not ${text}`);
  return sizes;
}

async function main(argv: readonly string[]): Promise<void> {
  const one = argv.indexOf('--one');
  if (one >= 0) {
    const result = await runScaleCase(Number(argv[one + 1]));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const size of parseSizes(argv)) {
    const output = execFileSync(process.execPath, [__filename, '--one', String(size)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const result = JSON.parse(output.trim().split('\n').pop() ?? '{}') as ScaleResult;
    const note =
      result.status === 'SUCCEEDED' && result.summarised === size
        ? ''
        : ` (execution ${result.status}, ${result.summarised} of ${size} targets summarised)`;
    process.stdout.write(`${formatLine(result)}${note}\n`);
    process.stderr.write(`${formatLimits(result)}\n`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
