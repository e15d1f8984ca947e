// Shared setup for the triage tests: the default scenario's configuration, a fixed clock, and the event fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../tasks/lib/config';
import type { CustodyConfig } from '../../tasks/lib/config';

const scenario = JSON.parse(
  readFileSync(join(__dirname, '../../sandbox/scenarios/compromised-web-server.json'), 'utf8'),
) as {
  config: unknown;
};

/** Configuration with one forensics region, eu-west-1, as in the default scenario. */
export const config: CustodyConfig = parseConfig(scenario.config);

export const OPENED_AT = new Date('2026-11-27T22:45:00.000Z');

export const deps = { config, now: (): Date => OPENED_AT };

/** The raw text of a fixture under test/fixtures/events/. */
export function fixtureText(name: string): string {
  return readFileSync(join(__dirname, '../fixtures/events', name), 'utf8');
}

/** A fresh, mutable copy of a fixture event. */
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

/** Sets a value deep inside a parsed event (paths as arrays of keys and indexes). */
export function setPath(target: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}
