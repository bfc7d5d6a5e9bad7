CREATE TABLE "checkpoints" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"timestamp" bigint NOT NULL,
	"key_id" text NOT NULL,
	"signature" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "checkpoint_cosignatures" (
	"tree_size" bigint NOT NULL,
	"key_id" text NOT NULL,
	"timestamp" bigint NOT NULL,
	"signature" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoint_cosignatures_tree_size_key_id_pk" PRIMARY KEY("tree_size","key_id")
);
--> statement-breakpoint
CREATE TABLE "idempotent_requests" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"route" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"status" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotent_requests_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "log_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"origin" text NOT NULL,
	"public_key" "bytea" NOT NULL,
	"secret_enc" "bytea" NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "witnesses" (
	"key_id" text PRIMARY KEY NOT NULL,
	"gateway_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"public_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "refund_requests" ADD COLUMN "payout" jsonb;--> statement-breakpoint
CREATE INDEX "witnesses_gateway" ON "witnesses" USING btree ("gateway_id");