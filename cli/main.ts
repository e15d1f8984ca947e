// Process entry of `custody`: runs the program and sets the exit code; no stack traces for expected failures.
// The SDK's notice that Node 20 support ends in 2027 would precede every command's output; responders need the evidence output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { processIo } = require('./io') as typeof import('./io');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runCli } = require('./program') as typeof import('./program');

runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`custody: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
