/** Jest runs the TypeScript sources directly through ts-jest (type checking is `npm run typecheck`'s job). */
// The SDK's Node 20 end-of-support notice would be printed by every worker; the suite's output should be about the tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testTimeout: 60000,
};
