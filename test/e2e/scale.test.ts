// Scale: a case with several targets runs every target through the Map, and its cost grows linearly with the targets.
import { runScaleCase, scaleScenario } from '../../bench/scale';
import { ScenarioSchema } from '../../sandbox/scenario';

describe('a case with many targets', () => {
  it('generates a valid scenario with distinct instances, interfaces and volumes per target', () => {
    const scenario = ScenarioSchema.parse(scaleScenario(5));
    const region = scenario.accounts.find((account) => account.accountId === '222222222222')!.regions['eu-west-1'];
    const ids = region.instances.map((instance) => instance.instanceId);
    expect(new Set(ids).size).toBe(5);
    expect(ids.every((id) => /^i-[0-9a-f]{17}$/.test(id))).toBe(true);
    expect(new Set(region.instances.map((instance) => instance.networkInterfaces[0].networkInterfaceId)).size).toBe(5);
    const volumeIds = region.instances.flatMap((instance) => instance.blockDevices.map((device) => device.volumeId));
    expect(volumeIds.every((id) => region.volumes.some((volume) => volume.volumeId === id))).toBe(true);
    expect(new Set(volumeIds).size).toBe(10);
  });

  it('summarises every target, and four targets cost about four times the transitions and calls of one', async () => {
    // Without the logs step: CloudTrail LookupEvents' 2-per-second quota would make this a test of the quota (docs/scale.md).
    const one = await runScaleCase(1, { logs: false });
    const four = await runScaleCase(4, { logs: false });
    expect([one.status, four.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect([one.summarised, four.summarised]).toEqual([1, 4]);
    // Per-target work dominates; the case-level states (triage, examine, report) are a fixed part of the single-target run.
    const perTarget = (result: typeof one) => result.transitions / result.instances;
    expect(perTarget(four)).toBeLessThanOrEqual(perTarget(one));
    expect(four.apiCalls).toBeLessThan(one.apiCalls * 4.5);
    expect(four.apiCalls).toBeGreaterThan(one.apiCalls * 2);
  }, 60_000);
});
