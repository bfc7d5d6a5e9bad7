-- Ingest writes fewer bytes per synced item: no unique index on transfers.idempotency_key (it is
-- "<operation id>#<n>", unique because operations.id is the primary key), no copy of the operation's
-- body hash on each transfer, and the stored result (replayed verbatim, never queried) as json.
ALTER TABLE "transfers" DROP CONSTRAINT "transfers_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "operations" ALTER COLUMN "result" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "transfers" DROP COLUMN "body_hash";