import { runMemoryBench } from '../../bench/memory-capture';

// A several-GiB image takes about a minute: run with CUSTODY_LARGE_MEMORY_MIB=4096 (and node --expose-gc for a steadier baseline).
const mib = Number(process.env.CUSTODY_LARGE_MEMORY_MIB ?? 0);
const maybe = mib > 0 ? it : it.skip;

describe('CaptureMemory with a large image', () => {
  maybe(
    'streams a multi-GiB memory image through the sandbox with the orchestrator memory bounded',
    async () => {
      const result = await runMemoryBench(mib);
      expect(result.artifact?.bytes).toBe(mib * 1024 * 1024);
      expect(result.gaps).toBe(0);
      // Bounded: the growth stays far below the image size (parts are streamed 1 MiB at a time, never held whole).
      expect(result.peakRssBytes - result.baselineRssBytes).toBeLessThan(256 * 1024 * 1024);
    },
    15 * 60 * 1000,
  );
});
