// Errors the sandbox throws, shaped like the SDK's service exceptions so callers see what AWS would send.

export interface SandboxErrorOptions {
  readonly fault?: 'client' | 'server';
  readonly httpStatusCode?: number;
}

/** An error with AWS's name for it (`InvalidInstanceID.NotFound`, `AccessDenied`, …) and the SDK's metadata fields. */
export class SandboxServiceError extends Error {
  public readonly $fault: 'client' | 'server';
  public readonly $metadata: { httpStatusCode: number; requestId: string };
  public readonly Code: string;

  public constructor(name: string, message: string, options: SandboxErrorOptions = {}) {
    super(message);
    this.name = name;
    this.Code = name;
    this.$fault = options.fault ?? 'client';
    this.$metadata = {
      httpStatusCode: options.httpStatusCode ?? (this.$fault === 'server' ? 500 : 400),
      requestId: 'sandbox',
    };
  }
}

export function awsError(name: string, message: string, options: SandboxErrorOptions = {}): SandboxServiceError {
  return new SandboxServiceError(name, message, options);
}

/** Thrown for every operation the sandbox does not model: it never answers silently. */
export function unsupported(service: string, operation: string): SandboxServiceError {
  return new SandboxServiceError('UnsupportedOperation', `the sandbox does not model ${service}:${operation}`, {
    httpStatusCode: 501,
  });
}
