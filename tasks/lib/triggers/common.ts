// What every trigger parser shares: the draft a trigger becomes, safe quoting of untrusted values, and zod issue wording.
import { isIP } from 'node:net';
import type { z } from 'zod';
import type { CaseOptions, Finding, Mode, Target, Trigger } from '../case';
import { InvalidInputError } from '../errors';

/** What a trigger parser hands back to triage before the region check and the case id are applied. */
export interface CaseDraft {
  readonly trigger: Trigger;
  readonly mode: Mode;
  readonly targets: readonly Target[];
  /** The name a finding-derived case id is computed from (a finding ARN); absent for requests. */
  readonly findingKey?: string;
  /** A case id the request named itself. */
  readonly caseId?: string;
  readonly finding?: Finding;
  readonly requestedBy: string;
  readonly reason: string;
  /** Options as given; triage fills defaults from CaseOptionsSchema and the configuration. */
  readonly options?: Partial<CaseOptions>;
}

/** Longest untrusted value ever echoed in a message: attacker-controlled strings never reach logs unbounded. */
export const MAX_ECHO = 64;

/** Quotes an untrusted value for a one-line message: JSON-escaped (no control characters) and truncated. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
  return JSON.stringify(cut);
}

/** Truncates a trusted-shape but untrusted-content string to fit a schema's length limit. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One line naming the field and what was wrong with it, from the first zod issue; `input` tells a missing field apart. */
export function describeIssue(issues: readonly z.core.$ZodIssue[], prefix: string, input?: unknown): string {
  const issue = issues[0];
  const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.slice(0, 3).map(quote).join(', ');
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys} in ${at}; remove ${issue.keys.length > 1 ? 'them' : 'it'}`;
  }
  if (issue.path.length > 0 && !isPresent(input, issue.path)) return `${at} is required`;
  return `${at} is invalid: ${issue.message}`;
}

/** Parses untrusted input with a schema or throws InvalidInputError naming the field. */
export function parseOrReject<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix = ''): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(`${what}: ${describeIssue(parsed.error.issues, prefix, input)}`);
}

function isPresent(input: unknown, path: readonly PropertyKey[]): boolean {
  let node: unknown = input;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node !== undefined;
}

/** Adds a target once: the same instance named twice is collected once. */
export function dedupeTargets(targets: readonly Target[]): Target[] {
  const seen = new Map<string, Target>();
  for (const target of targets) {
    const key = `${target.accountId}/${target.region}/${target.instanceId}`;
    if (!seen.has(key)) seen.set(key, target);
  }
  return [...seen.values()];
}

const HOSTNAME =
  /^(?=.{1,253}\.?$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/;

/** Keeps indicators that are well-formed IP addresses, at most 100, each once. */
export function cleanIps(values: readonly unknown[]): string[] {
  const ips = values.filter((v): v is string => typeof v === 'string' && v.length <= 64 && isIP(v) !== 0);
  return [...new Set(ips)].slice(0, 100);
}

/** Keeps indicators that are well-formed DNS names (lower-cased, trailing dot dropped), at most 100, each once. */
export function cleanDomains(values: readonly unknown[]): string[] {
  const names = values
    .filter((v): v is string => typeof v === 'string' && v.length <= 255)
    .map((v) => v.toLowerCase())
    .filter((v) => HOSTNAME.test(v))
    .map((v) => v.replace(/\.$/, ''));
  return [...new Set(names)].slice(0, 100);
}

/** Keeps valid TCP/UDP port numbers, at most 100, each once. */
export function cleanPorts(values: readonly unknown[]): number[] {
  const ports = values.filter((v): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535);
  return [...new Set(ports)].slice(0, 100);
}

/** A Security Hub style severity label for a 0–100 normalised score (ASFF Severity.Normalized ranges). */
export function labelFor(normalized: number): string {
  if (normalized >= 90) return 'CRITICAL';
  if (normalized >= 70) return 'HIGH';
  if (normalized >= 40) return 'MEDIUM';
  if (normalized >= 1) return 'LOW';
  return 'INFORMATIONAL';
}
