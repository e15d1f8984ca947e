// The custody log's entries: their schema, how each is hashed and chained to the previous one, and how a chain is checked.
import { z } from 'zod';
import { canonicalJson, sha256Hex, toJson } from './canonical';
import type { Actor, CustodyEvent } from './task';

/** `prev` of entry seq 0: there is no previous entry, so the chain starts from 64 zeros (documented in docs/evidence-format.md). */
export const GENESIS_PREV = '0'.repeat(64);

/** Width of the zero-padded seq in per-entry object names, so that S3's lexicographic listing is numeric order. */
export const SEQ_WIDTH = 10;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'not a lower-case hex SHA-256');

export const ArtifactRecordSchema = z
  .object({
    key: z.string().min(1),
    bytes: z.number().int().min(0),
    sha256: Sha256Hex,
    source: z.string(),
    tool: z.string(),
    toolVersion: z.string(),
  })
  .strict();

export const CustodyEntrySchema = z
  .object({
    seq: z.number().int().min(0),
    at: z.string().datetime(),
    actor: z.object({ principal: z.string(), execution: z.string() }).strict(),
    action: z.string().min(1),
    target: z.string(),
    artifact: ArtifactRecordSchema.optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    prev: Sha256Hex,
    hash: Sha256Hex,
  })
  .strict();
export type CustodyEntry = z.infer<typeof CustodyEntrySchema>;

/** Key prefix (relative to the bucket) of a case's per-entry custody objects. */
export function custodyPrefix(caseId: string): string {
  return `cases/${caseId}/custody/`;
}

export function custodyEntryKey(caseId: string, seq: number): string {
  return `${custodyPrefix(caseId)}${String(seq).padStart(SEQ_WIDTH, '0')}.json`;
}

/** The seq a per-entry object name stands for, or undefined for anything else under the prefix. */
export function seqOfKey(key: string): number | undefined {
  const match = /(?:^|\/)(\d+)\.json$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** SHA-256 hex of the RFC 8785 canonical JSON of the entry without its `hash` field. */
export function entryHash(entry: Omit<CustodyEntry, 'hash'> | CustodyEntry): string {
  const { hash: _ignored, ...body } = entry as CustodyEntry;
  return sha256Hex(canonicalJson(body));
}

/** Builds entry `seq` chained to the previous entry's hash (GENESIS_PREV for seq 0). */
export function buildEntry(event: CustodyEvent, seq: number, prev: string, actor: Actor, at: Date): CustodyEntry {
  const body: Omit<CustodyEntry, 'hash'> = {
    seq,
    at: at.toISOString(),
    actor: { principal: actor.principal, execution: actor.execution },
    action: event.action,
    target: event.target,
    ...(event.artifact ? { artifact: { ...event.artifact } } : {}),
    // Details go through a JSON round trip so the stored bytes and the hashed bytes are the same value.
    ...(event.details ? { details: toJson(event.details) as Record<string, unknown> } : {}),
    prev,
  };
  return { ...body, hash: entryHash(body) };
}

/** The exact bytes of one entry: its canonical JSON (a line of custody.jsonl without the newline, and a per-entry object). */
export function serializeEntry(entry: CustodyEntry): string {
  return canonicalJson(entry);
}

export function toJsonl(entries: readonly CustodyEntry[]): string {
  return entries.map((entry) => `${serializeEntry(entry)}\n`).join('');
}

export type ChainIssueKind = 'malformed' | 'bad-hash' | 'broken-link' | 'reordered' | 'dropped' | 'inserted';

/** One thing wrong with a chain, naming the seq it concerns. */
export interface ChainIssue {
  readonly kind: ChainIssueKind;
  readonly seq?: number;
  readonly message: string;
}

export interface ParsedLog {
  readonly entries: CustodyEntry[];
  readonly issues: ChainIssue[];
}

/** Parses custody.jsonl; a line that is not a valid entry is reported by line number and left out. */
export function parseJsonl(text: string): ParsedLog {
  const entries: CustodyEntry[] = [];
  const issues: ChainIssue[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, index) => {
    const parsed = parseEntry(line);
    if (parsed) entries.push(parsed);
    else issues.push({ kind: 'malformed', message: `custody.jsonl line ${index + 1} is not a valid custody entry` });
  });
  return { entries, issues };
}

export function parseEntry(text: string): CustodyEntry | undefined {
  try {
    const parsed = CustodyEntrySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Walks a chain: every hash must recompute, every `prev` must be the hash of entry seq-1 (GENESIS_PREV for seq 0), and the
 * seqs must run 0,1,2,… in file order. A dropped, reordered or duplicated seq is named once, as what it is.
 */
export function verifyChain(entries: readonly CustodyEntry[]): ChainIssue[] {
  const issues: ChainIssue[] = [];
  const hashOf = new Map<number, string>();
  const remaining = new Map<number, number>();
  for (const entry of entries) {
    if (!hashOf.has(entry.seq)) hashOf.set(entry.seq, entry.hash);
    remaining.set(entry.seq, (remaining.get(entry.seq) ?? 0) + 1);
  }
  const seen = new Set<number>();
  const outOfOrder = new Set<number>();
  let expected = 0;
  for (const entry of entries) {
    remaining.set(entry.seq, (remaining.get(entry.seq) ?? 1) - 1);
    if (entryHash(entry) !== entry.hash) {
      issues.push({
        kind: 'bad-hash',
        seq: entry.seq,
        message: `entry seq ${entry.seq} does not match its hash: it was edited`,
      });
    }
    const seqIssue = classifySeq(entry.seq, expected, seen, remaining, outOfOrder);
    if (seqIssue) issues.push(seqIssue);
    const before = entry.seq === 0 ? GENESIS_PREV : hashOf.get(entry.seq - 1);
    if (before !== undefined && entry.prev !== before && seqIssue?.kind !== 'inserted') {
      issues.push({
        kind: 'broken-link',
        seq: entry.seq,
        message: `entry seq ${entry.seq} does not link to entry seq ${entry.seq - 1} (prev hash differs)`,
      });
    }
    seen.add(entry.seq);
    expected = Math.max(expected, entry.seq + 1);
  }
  return issues;
}

function classifySeq(
  seq: number,
  expected: number,
  seen: Set<number>,
  remaining: Map<number, number>,
  outOfOrder: Set<number>,
): ChainIssue | undefined {
  if (seq === expected && !seen.has(seq)) return undefined;
  if (seen.has(seq))
    return { kind: 'inserted', seq, message: `a second entry claims seq ${seq}: an entry was inserted` };
  if (seq < expected) {
    if (outOfOrder.has(seq)) return undefined;
    return {
      kind: 'reordered',
      seq,
      message: `entry seq ${seq} appears after seq ${expected - 1}: entries were reordered`,
    };
  }
  // seq > expected: the skipped seqs either come later (reordered) or never (dropped).
  if ((remaining.get(expected) ?? 0) > 0) {
    outOfOrder.add(expected);
    return {
      kind: 'reordered',
      seq: expected,
      message: `entry seq ${expected} appears after seq ${seq}: entries were reordered`,
    };
  }
  const range = seq - 1 === expected ? `seq ${expected}` : `seqs ${expected}-${seq - 1}`;
  return { kind: 'dropped', seq: expected, message: `entry ${range} is missing from the log: dropped` };
}
