/** Errors a technician can act on: a short code for --json and scripts, a message with the hint. */
export class FlashError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlashError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function errorCode(e: unknown): string {
  return e instanceof FlashError ? e.code : 'error';
}
