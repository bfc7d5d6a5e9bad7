-- Each transfer's log entry (seq = transfer id) moves onto the transfer row: the ingest writes one
-- row per transfer instead of two (a separate indexed log_entries row cost the database about as
-- much CPU as the transfer row itself). A view keeps the log's table for SQL readers and auditors.
ALTER TABLE "transfers" ADD COLUMN "entry_hash" "bytea";--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "chain_hash" "bytea";--> statement-breakpoint
UPDATE "transfers" t SET "entry_hash" = l."entry_hash", "chain_hash" = l."chain_hash"
  FROM "log_entries" l WHERE l."transfer_id" = t."id";--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "entry_hash" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "chain_hash" SET NOT NULL;--> statement-breakpoint
DROP TABLE "log_entries";--> statement-breakpoint
CREATE VIEW "log_entries" AS
  SELECT "id" AS "seq", "id" AS "transfer_id", "entry_hash", "chain_hash" FROM "transfers";
