// Reads what a report needs from a case's evidence (an S3 prefix or a local folder) into the model builder's input.
import type { Gap } from '../case';
import { CaseSchema } from '../case';
import type { CustodyEntry } from '../custody-log';
import { parseEntry, parseJsonl, seqOfKey } from '../custody-log';
import type { EvidenceSource, SourceObject } from '../verify/types';
import type { InstanceSize, ModelInput, ReportCase, TargetSummaryInput } from './model';
import { summariseTimeline } from './timeline';
import type { Correlation } from './types';

export const TIMELINE_KEY = 'report/timeline.jsonl';
export const FINDINGS_KEY = 'report/findings.json';

export interface LoadOptions {
  readonly region: string;
  readonly generatedAt: string;
  /** The case when the caller has it (the task); otherwise case.json is read. */
  readonly case?: ReportCase;
  readonly summaries?: readonly TargetSummaryInput[];
  readonly extraGaps?: readonly Gap[];
  /** Sizes known from elsewhere (a dry run's describe calls); describe-volumes evidence adds to them. */
  readonly instances?: readonly InstanceSize[];
}

/** The live log is the per-entry objects under custody/; a copied-out case may hold only custody.jsonl. */
export async function readEntries(source: EvidenceSource, listing: readonly SourceObject[]): Promise<CustodyEntry[]> {
  const perEntry = listing.filter((object) => object.key.startsWith('custody/') && seqOfKey(object.key) !== undefined);
  if (perEntry.length > 0) {
    const entries: CustodyEntry[] = [];
    for (const object of perEntry) {
      const entry = parseEntry((await source.read(object.key))?.toString('utf8') ?? '');
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => a.seq - b.seq);
  }
  const jsonl = await source.read('custody.jsonl');
  return jsonl ? parseJsonl(jsonl.toString('utf8')).entries : [];
}

async function readJson(source: EvidenceSource, key: string): Promise<unknown> {
  const bytes = await source.read(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** describe-volumes.json (ec2:DescribeVolumes as PreserveInstance wrote it): each volume's size and the instance it is attached to. */
async function volumesFromEvidence(
  source: EvidenceSource,
  listing: readonly SourceObject[],
): Promise<{ owners: Map<string, string>; instances: InstanceSize[] }> {
  const owners = new Map<string, string>();
  const instances: InstanceSize[] = [];
  for (const object of listing.filter((o) => /^\d{12}\/i-[0-9a-f]+\/metadata\/describe-volumes\.json$/.test(o.key))) {
    const instanceId = object.key.split('/')[1];
    const described = (await readJson(source, object.key)) as
      { Volumes?: Array<{ VolumeId?: string; Size?: number }> } | undefined;
    const volumes = (described?.Volumes ?? [])
      .filter((volume): volume is { VolumeId: string; Size?: number } => typeof volume.VolumeId === 'string')
      .map((volume) => ({ volumeId: volume.VolumeId, sizeGiB: volume.Size ?? 0 }));
    for (const volume of volumes) owners.set(volume.volumeId, instanceId);
    instances.push({ instanceId, volumes });
  }
  return { owners, instances };
}

function caseFrom(raw: unknown, fallback: ReportCase | undefined): ReportCase {
  if (fallback) return fallback;
  const parsed = CaseSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new Error('case.json is missing or not a valid case: the report cannot say what the case is');
}

export async function loadModelInput(source: EvidenceSource, options: LoadOptions): Promise<ModelInput> {
  const listing = await source.list();
  const entries = await readEntries(source, listing);
  const custodyCase = caseFrom(options.case ? undefined : await readJson(source, 'case.json'), options.case);
  const { owners, instances } = await volumesFromEvidence(source, listing);
  const known = new Set(instances.map((instance) => instance.instanceId));
  const findings = (await readJson(source, FINDINGS_KEY)) as { correlations?: Correlation[] } | undefined;
  const stream = listing.some((object) => object.key === TIMELINE_KEY) ? await source.open(TIMELINE_KEY) : undefined;
  const timeline = stream ? await summariseTimeline(TIMELINE_KEY, stream) : undefined;
  return {
    case: custodyCase,
    region: options.region,
    location: source.location,
    generatedAt: options.generatedAt,
    entries,
    listing,
    ...(options.summaries ? { summaries: options.summaries } : {}),
    ...(options.extraGaps ? { extraGaps: options.extraGaps } : {}),
    correlations: Array.isArray(findings?.correlations) ? findings.correlations : [],
    ...(timeline ? { timeline } : {}),
    instances: [...instances, ...(options.instances ?? []).filter((instance) => !known.has(instance.instanceId))],
    owners,
  };
}
