CREATE TABLE "dormancy_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"wallet_id" bigint NOT NULL,
	"since" bigint NOT NULL,
	"kind" text NOT NULL,
	"step" integer NOT NULL,
	"asset" text,
	"amount" bigint DEFAULT 0 NOT NULL,
	"log_seqs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dormancy_policies" (
	"federation_id" text PRIMARY KEY NOT NULL,
	"inactivity_days" integer NOT NULL,
	"reminder_days" jsonb NOT NULL,
	"period_days" integer NOT NULL,
	"rate_percent" integer NOT NULL,
	"floor" bigint DEFAULT 0 NOT NULL,
	"asset" text DEFAULT 'EUR' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dormancy_policies_values" CHECK ("dormancy_policies"."inactivity_days" > 0 and "dormancy_policies"."period_days" > 0 and "dormancy_policies"."rate_percent" between 1 and 100 and "dormancy_policies"."floor" >= 0)
);
--> statement-breakpoint
CREATE TABLE "email_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"kind" text NOT NULL,
	"wallet_id" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_events" (
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"session_id" text,
	"outcome" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_events_provider_event_id_pk" PRIMARY KEY("provider","event_id")
);
--> statement-breakpoint
ALTER TABLE "dormancy_policies" ADD CONSTRAINT "dormancy_policies_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dormancy_events_step" ON "dormancy_events" USING btree ("wallet_id","since","kind","step");--> statement-breakpoint
CREATE INDEX "email_outbox_pending" ON "email_outbox" USING btree ("id") WHERE "email_outbox"."sent_at" is null;