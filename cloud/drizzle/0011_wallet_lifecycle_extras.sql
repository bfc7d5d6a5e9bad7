CREATE TABLE "card_reissues" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"card_uid" text NOT NULL,
	"old_wallet_id" bigint NOT NULL,
	"new_wallet_id" bigint NOT NULL,
	"refund_id" text,
	"outcome" jsonb NOT NULL,
	"by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fund_disbursements" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	"purpose" text NOT NULL,
	"memo" text NOT NULL,
	"log_seq" bigint NOT NULL,
	"by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fund_disbursements_amount" CHECK ("fund_disbursements"."amount" > 0),
	CONSTRAINT "fund_disbursements_purpose" CHECK ("fund_disbursements"."purpose" in ('member-venue','new-venue'))
);
--> statement-breakpoint
CREATE TABLE "time_voucher_conversions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"units" integer NOT NULL,
	"minutes" integer NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	"log_seqs" jsonb NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "wallets" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "card_reissues_card" ON "card_reissues" USING btree ("card_uid");--> statement-breakpoint
CREATE INDEX "fund_disbursements_fed" ON "fund_disbursements" USING btree ("federation_id","created_at");--> statement-breakpoint
CREATE INDEX "time_voucher_conversions_wallet" ON "time_voucher_conversions" USING btree ("wallet_id","venue_id","at");