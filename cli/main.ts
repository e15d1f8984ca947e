// Process entry of `custody`: runs the program and sets the exit code; no stack traces for expected failures.
import { processIo } from './io';
import { runCli } from './program';

// The SDK warns that Node 20 support ends in 2027; responders need the evidence output, not that notice on every run.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'NodeDeprecationWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`custody: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
