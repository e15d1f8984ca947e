// Property tests: whatever arrives, triage either refuses it with a named CustodyError or yields a case whose targets are valid.
import fc from 'fast-check';
import { CaseSchema, TargetSchema } from '../../tasks/lib/case';
import { CustodyError } from '../../tasks/lib/errors';
import { parseEventText, triage } from '../../tasks/triage';
import { deps, fixture, setPath } from './triage.helpers';

const FIXTURES = [
  'guardduty-linux-network-connection.json',
  'guardduty-linux-dns-request.json',
  'guardduty-windows-port-probe.json',
  'guardduty-iam-access-key.json',
  'securityhub-imported-guardduty.json',
  'securityhub-imported-two-instances.json',
  'securityhub-custom-action.json',
  'request-collect.json',
  'request-dry-run.json',
];
const RUNS = { numRuns: 300 };

/** Either a refusal with a stable CustodyError name, or a case that satisfies CaseSchema with valid targets. */
function holdsFor(event: unknown): void {
  let opened;
  try {
    opened = triage(event, deps);
  } catch (error) {
    expect(error).toBeInstanceOf(CustodyError);
    expect(['InvalidInputError', 'UnsupportedEventError', 'RegionNotConfiguredError']).toContain((error as Error).name);
    expect((error as Error).message.length).toBeLessThan(600);
    return;
  }
  expect(CaseSchema.safeParse(opened).success).toBe(true);
  for (const target of opened.targets) expect(TargetSchema.safeParse(target).success).toBe(true);
  expect(Object.keys(deps.config.regions)).toEqual(expect.arrayContaining(opened.targets.map((t) => t.region)));
}

/** Every path to a value inside a parsed fixture, so mutations reach deep fields. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
}

const tricky = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    'i-123;rm -rf /',
    '../',
    'і-0c0ffee1234567890',
    '2222222222222',
    'us-east-1; DROP',
    '',
    '\u0000',
    'Instance',
    'AwsEc2Instance',
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

describe('triage under arbitrary input', () => {
  it('never crashes with anything but a CustodyError on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), holdsFor), RUNS);
  });

  it('never crashes on arbitrary JavaScript values (prototype keys, undefined, sparse arrays)', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withSparseArray: true }), holdsFor),
      RUNS,
    );
  });

  it('never yields a case with an invalid target when one field of a real trigger is replaced', () => {
    const events = FIXTURES.map((name) => ({ name, paths: pathsOf(fixture(name)).filter((p) => p.length > 0) }));
    const mutation = fc
      .constantFrom(...events)
      .chain(({ name, paths }) => fc.tuple(fc.constant(name), fc.constantFrom(...paths), tricky));

    fc.assert(
      fc.property(mutation, ([name, path, value]) => {
        const event = fixture(name);
        setPath(event, path, value);
        holdsFor(event);
      }),
      { numRuns: 600 },
    );
  });

  it('never yields a case with an invalid target from requests with arbitrary target fields', () => {
    const field = fc.oneof(fc.constantFrom('i-0c0ffee1234567890', '222222222222', 'eu-west-1', 'us-east-1'), tricky);
    const request = fc.record({
      mode: fc.oneof(fc.constantFrom('collect', 'dry-run'), tricky),
      targets: fc.array(fc.record({ instanceId: field, accountId: field, region: field }), { maxLength: 5 }),
      requestedBy: fc.string(),
      reason: fc.string(),
    });

    fc.assert(fc.property(request, holdsFor), RUNS);
  });

  it('maps a GuardDuty finding to one case whatever its updatedAt and count', () => {
    const base = triage(fixture('guardduty-linux-network-connection.json'), deps).caseId;

    fc.assert(
      fc.property(
        fc.date({ min: new Date('2026-11-27T22:41:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.nat(),
        (at, count) => {
          const event = fixture('guardduty-linux-network-connection.json');
          setPath(event, ['detail', 'updatedAt'], at.toISOString());
          setPath(event, ['detail', 'service', 'count'], count);
          expect(triage(event, deps).caseId).toBe(base);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads any text either as a JSON object or refuses it with InvalidInputError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          const value = parseEventText(text);
          expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
        } catch (error) {
          expect((error as Error).name).toBe('InvalidInputError');
        }
      }),
      RUNS,
    );
  });
});
