CREATE TABLE "accounts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"wallet_id" bigint,
	"system" text,
	"asset" text NOT NULL,
	"balance" bigint DEFAULT 0 NOT NULL,
	"allow_negative" boolean DEFAULT false NOT NULL,
	CONSTRAINT "accounts_no_overdraft" CHECK ("accounts"."allow_negative" or "accounts"."balance" >= 0),
	CONSTRAINT "accounts_owner" CHECK (("accounts"."wallet_id" is null) <> ("accounts"."system" is null)),
	CONSTRAINT "accounts_negative_only_system" CHECK (not "accounts"."allow_negative" or "accounts"."system" is not null)
);
--> statement-breakpoint
CREATE TABLE "admin_users" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"venue_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "admin_users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "assets" (
	"code" text NOT NULL,
	"federation_id" text NOT NULL,
	"kind" text NOT NULL,
	"refundable" boolean NOT NULL,
	"venue_id" text,
	CONSTRAINT "assets_federation_id_code_pk" PRIMARY KEY("federation_id","code"),
	CONSTRAINT "assets_kind" CHECK ("assets"."kind" in ('federated_eur','local','gift','time','loyalty','membership'))
);
--> statement-breakpoint
CREATE TABLE "cards" (
	"uid" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"type" text DEFAULT 'iso14443a' NOT NULL,
	"printed_number" text,
	"wallet_id" bigint,
	"blocked" boolean DEFAULT false NOT NULL,
	"replaced_by" text,
	"keys_enc" "bytea",
	"last_counter" integer DEFAULT 0 NOT NULL,
	"batch" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"board" text NOT NULL,
	"firmware" text NOT NULL,
	"key_enc" "bytea" NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"allow_anonymous" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateways" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"key_hash" "bytea" NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "gateways_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "log_entries" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"transfer_id" bigint NOT NULL,
	"entry_hash" "bytea" NOT NULL,
	"chain_hash" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_head" (
	"id" smallint PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"chain_hash" "bytea" NOT NULL,
	CONSTRAINT "log_head_single" CHECK ("log_head"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "operations" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text,
	"kind" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"ref" text,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"venue_id" text NOT NULL,
	"card_uid" text NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"display_name" text NOT NULL,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refund_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"card_uid" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"status" text NOT NULL,
	"quote" jsonb NOT NULL,
	"requested_by" text NOT NULL,
	"approved_by" text,
	"payout_method" text,
	"payout_reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_batches" (
	"venue_id" text NOT NULL,
	"batch_id" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_batches_venue_id_batch_id_pk" PRIMARY KEY("venue_id","batch_id")
);
--> statement-breakpoint
CREATE TABLE "transfers" (
	"id" bigint PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"debit" bigint NOT NULL,
	"credit" bigint NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	"kind" text NOT NULL,
	"venue_id" text,
	"operation_id" text NOT NULL,
	"at" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfers_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "transfers_positive" CHECK ("transfers"."amount" > 0),
	CONSTRAINT "transfers_two_accounts" CHECK ("transfers"."debit" <> "transfers"."credit")
);
--> statement-breakpoint
CREATE TABLE "venues" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"name" text NOT NULL,
	"currency" text DEFAULT 'EUR' NOT NULL,
	"config_version" integer DEFAULT 1 NOT NULL,
	"stand_in_per_card" bigint DEFAULT 3000 NOT NULL,
	"stand_in_per_venue" bigint DEFAULT 200000 NOT NULL,
	"policy" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"points_of_sale" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"person_id" text,
	"merged_into" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gateways" ADD CONSTRAINT "gateways_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "people" ADD CONSTRAINT "people_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venues" ADD CONSTRAINT "venues_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_wallet_asset" ON "accounts" USING btree ("wallet_id","asset");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_system_asset" ON "accounts" USING btree ("system","asset");--> statement-breakpoint
CREATE UNIQUE INDEX "cards_printed" ON "cards" USING btree ("federation_id","printed_number");--> statement-breakpoint
CREATE INDEX "cards_wallet" ON "cards" USING btree ("wallet_id");--> statement-breakpoint
CREATE UNIQUE INDEX "operations_void_once" ON "operations" USING btree ("ref") WHERE "operations"."kind" = 'void';--> statement-breakpoint
CREATE UNIQUE INDEX "wallets_person" ON "wallets" USING btree ("person_id");