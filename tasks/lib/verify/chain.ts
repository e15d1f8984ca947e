// Check: the custody log is one unbroken hash chain, custody.jsonl is what the manifest sealed, and every per-entry object agrees.
import { sha256Hex } from '../canonical';
import type { CustodyEntry } from '../custody-log';
import { parseEntry, parseJsonl, seqOfKey, verifyChain } from '../custody-log';
import type { CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

/** A chain problem; the pure chain walk's kinds plus those only a sealed case has (altered, head-mismatch). */
interface Problem {
  readonly kind: string;
  readonly seq?: number;
  readonly message: string;
}

/** Per-entry objects parsed, in key (= seq) order; an unparseable object is left out (checkChain names it). */
export function entriesFromObjects(objects: ReadonlyMap<string, Buffer>): CustodyEntry[] {
  return [...objects.keys()]
    .sort()
    .map((key) => parseEntry(objects.get(key)!.toString('utf8')))
    .filter((entry): entry is CustodyEntry => entry !== undefined);
}

export async function checkChain(context: VerifyContext): Promise<CheckResult> {
  const issues: VerifyIssue[] = [];
  const add = (subject: string, issue: Problem): void => {
    issues.push({
      check: 'chain',
      kind: issue.kind,
      subject,
      ...(issue.seq !== undefined ? { seq: issue.seq } : {}),
      message: `${subject}: ${issue.message}`,
    });
  };
  const objectEntries = objectsChecked(context, add);
  if (!context.manifest) {
    for (const issue of verifyChain(objectEntries)) add('custody/', issue);
    return result('chain', issues, `${objectEntries.length} entries (unsealed case: per-entry objects only)`);
  }
  const sealed = context.manifest.custody;
  if (!context.jsonl) {
    add('custody.jsonl', { kind: 'missing', message: 'the sealed custody log is missing' });
    return result('chain', issues);
  }
  if (sha256Hex(context.jsonl) !== sealed.sha256) {
    add('custody.jsonl', { kind: 'altered', message: 'its SHA-256 differs from the one the manifest sealed' });
  }
  const parsed = parseJsonl(context.jsonl.toString('utf8'));
  for (const issue of [...parsed.issues, ...verifyChain(parsed.entries)]) add('custody.jsonl', issue);
  const last = parsed.entries[parsed.entries.length - 1];
  if (parsed.entries.length !== sealed.entries || last?.hash !== sealed.head) {
    add('custody.jsonl', {
      kind: 'head-mismatch',
      message: `holds ${parsed.entries.length} entries ending in ${last?.hash ?? 'nothing'}; the manifest sealed ${sealed.entries} ending in ${sealed.head}`,
    });
  }
  compareWithObjects(context.jsonl.toString('utf8'), context.entryObjects, sealed.entries, add);
  return result('chain', issues, `${sealed.entries} entries sealed`);
}

/** Per-entry objects must be valid entries stored under their own seq. */
function objectsChecked(context: VerifyContext, add: (subject: string, issue: Problem) => void): CustodyEntry[] {
  for (const [key, bytes] of context.entryObjects) {
    const entry = parseEntry(bytes.toString('utf8'));
    if (!entry) add(key, { kind: 'malformed', seq: seqOfKey(key), message: 'not a valid custody entry' });
    else if (entry.seq !== seqOfKey(key))
      add(key, { kind: 'reordered', seq: entry.seq, message: `holds entry seq ${entry.seq} under another seq's name` });
  }
  return entriesFromObjects(context.entryObjects);
}

/** Line i of custody.jsonl must be byte-for-byte the object custody/<i>.json; objects beyond the sealed count came later. */
function compareWithObjects(
  jsonl: string,
  objects: ReadonlyMap<string, Buffer>,
  sealedCount: number,
  add: (subject: string, issue: Problem) => void,
): void {
  const lines = jsonl.split('\n');
  const bySeq = new Map<number, [string, Buffer]>();
  for (const [key, bytes] of objects) {
    const seq = seqOfKey(key);
    if (seq !== undefined) bySeq.set(seq, [key, bytes]);
  }
  for (let seq = 0; seq < sealedCount; seq += 1) {
    const object = bySeq.get(seq);
    if (!object) {
      add(`custody/ seq ${seq}`, {
        kind: 'dropped',
        seq,
        message: 'the per-entry object of a sealed entry is missing',
      });
    } else if (object[1].toString('utf8') !== lines[seq]) {
      add(object[0], { kind: 'altered', seq, message: `differs from line ${seq + 1} of custody.jsonl` });
    }
  }
  for (const [seq, [key]] of bySeq) {
    if (seq >= sealedCount)
      add(key, { kind: 'inserted', seq, message: `entry seq ${seq} was added after the case was sealed` });
  }
}
