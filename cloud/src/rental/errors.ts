// Rental errors: a LedgerError (so the app's handler maps it) that may carry details, e.g. the
// periods a refused booking overlaps.
import { LedgerError } from '../ledger/types.js';

export class RentalError extends LedgerError {
  constructor(
    code: string,
    message: string,
    status = 400,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code, message, status);
  }
}

/** PostgreSQL exclusion_violation / unique_violation, on node-postgres and PGlite alike. */
export const pgCode = (err: unknown): string | undefined => (err as { code?: string } | null)?.code;
export const isExclusionViolation = (err: unknown): boolean => pgCode(err) === '23P01';
export const isUniqueViolation = (err: unknown): boolean => pgCode(err) === '23505';
