// Asks for an MFA code on the terminal when a profile's role requires one (`mfa_serial` in ~/.aws/config).
import { createInterface } from 'node:readline/promises';
import { InvalidInputError } from '../tasks/lib/errors';

export async function promptMfaCode(serial: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new InvalidInputError(`the profile needs an MFA code for ${serial}, and there is no terminal to ask on`);
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const code = (await prompt.question(`MFA code for ${serial}: `)).trim();
    if (!/^\d{6}$/.test(code)) throw new InvalidInputError('an MFA code is six digits');
    return code;
  } finally {
    prompt.close();
  }
}
