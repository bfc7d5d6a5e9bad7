CREATE TABLE "guardian_grants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"wallet_id" bigint NOT NULL,
	"email" text NOT NULL,
	"granted_by" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "holder_links" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"email" text NOT NULL,
	"wallet_id" bigint,
	"invited_by" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "holder_sessions" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "members_only_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "membership_checkouts" (
	"id" text PRIMARY KEY NOT NULL,
	"session_id" text NOT NULL,
	"product_id" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"card_uid" text NOT NULL,
	"amount" bigint NOT NULL,
	"bracket" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"period_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "membership_checkouts_session_id_unique" UNIQUE("session_id")
);
--> statement-breakpoint
CREATE TABLE "membership_periods" (
	"id" text PRIMARY KEY NOT NULL,
	"product_id" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"amount" bigint NOT NULL,
	"asset" text NOT NULL,
	"bracket" text,
	"paid_by" text NOT NULL,
	"operation_id" text,
	"renews" text,
	"reminded_steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"voided_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "membership_periods_dates" CHECK ("membership_periods"."expires_at" > "membership_periods"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "membership_products" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"scope" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"pricing" text NOT NULL,
	"price" bigint DEFAULT 0 NOT NULL,
	"min_price" bigint DEFAULT 0 NOT NULL,
	"brackets" jsonb,
	"asset" text DEFAULT 'EUR' NOT NULL,
	"badge_asset" text NOT NULL,
	"duration_months" integer DEFAULT 12 NOT NULL,
	"reminder_days" jsonb DEFAULT '[30,7]'::jsonb NOT NULL,
	"active" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "membership_products_scope" CHECK ("membership_products"."scope" in ('venue','federation')),
	CONSTRAINT "membership_products_pricing" CHECK ("membership_products"."pricing" in ('fixed','free','sliding')),
	CONSTRAINT "membership_products_values" CHECK ("membership_products"."price" >= 0 and "membership_products"."min_price" >= 0 and "membership_products"."duration_months" between 1 and 120)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "guardian_grants_active" ON "guardian_grants" USING btree ("wallet_id","email") WHERE "guardian_grants"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "holder_sessions_email" ON "holder_sessions" USING btree ("email");--> statement-breakpoint
CREATE INDEX "membership_checkouts_pending" ON "membership_checkouts" USING btree ("status") WHERE "membership_checkouts"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "membership_periods_wallet" ON "membership_periods" USING btree ("wallet_id","expires_at");--> statement-breakpoint
CREATE INDEX "membership_periods_expiry" ON "membership_periods" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "membership_products_venue" ON "membership_products" USING btree ("venue_id");