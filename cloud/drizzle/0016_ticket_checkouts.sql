CREATE TABLE "ticket_checkouts" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"event_id" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"card_uid" text NOT NULL,
	"items" jsonb NOT NULL,
	"total" bigint NOT NULL,
	"charged" bigint NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"order_id" text,
	"failure" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_checkouts_session_id_unique" UNIQUE("session_id")
);
--> statement-breakpoint
CREATE INDEX "ticket_checkouts_pending" ON "ticket_checkouts" USING btree ("status") WHERE "ticket_checkouts"."status" = 'pending';