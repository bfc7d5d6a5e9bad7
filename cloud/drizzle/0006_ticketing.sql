CREATE TABLE "ticket_categories" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"no" smallint NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"capacity" integer,
	"sold" integer DEFAULT 0 NOT NULL,
	"price_full" bigint NOT NULL,
	"price_reduced" bigint,
	"price_member" bigint,
	CONSTRAINT "ticket_categories_capacity" CHECK ("ticket_categories"."capacity" is null or ("ticket_categories"."capacity" >= 0 and "ticket_categories"."sold" <= "ticket_categories"."capacity")),
	CONSTRAINT "ticket_categories_sold" CHECK ("ticket_categories"."sold" >= 0),
	CONSTRAINT "ticket_categories_prices" CHECK ("ticket_categories"."price_full" >= 0 and coalesce("ticket_categories"."price_reduced", 0) >= 0 and coalesce("ticket_categories"."price_member", 0) >= 0)
);
--> statement-breakpoint
CREATE TABLE "ticket_checkins" (
	"venue_id" text NOT NULL,
	"nonce" text NOT NULL,
	"body_hash" "bytea" NOT NULL,
	"ticket_id" text,
	"event_id" text,
	"door" text NOT NULL,
	"scanned_at" timestamp with time zone NOT NULL,
	"admitted" boolean DEFAULT false NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_checkins_venue_id_nonce_pk" PRIMARY KEY("venue_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "ticket_events" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"image_url" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"location" text DEFAULT '' NOT NULL,
	"latitude" double precision,
	"longitude" double precision,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"timezone" text DEFAULT 'Europe/Paris' NOT NULL,
	"capacity" integer,
	"sold" integer DEFAULT 0 NOT NULL,
	"asset" text DEFAULT 'EUR' NOT NULL,
	"visibility" text DEFAULT 'public' NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"refund_until_hours" integer,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "ticket_events_capacity" CHECK ("ticket_events"."capacity" is null or ("ticket_events"."capacity" >= 0 and "ticket_events"."sold" <= "ticket_events"."capacity")),
	CONSTRAINT "ticket_events_sold" CHECK ("ticket_events"."sold" >= 0),
	CONSTRAINT "ticket_events_dates" CHECK ("ticket_events"."ends_at" >= "ticket_events"."starts_at" and "ticket_events"."valid_until" > "ticket_events"."valid_from"),
	CONSTRAINT "ticket_events_visibility" CHECK ("ticket_events"."visibility" in ('public','private')),
	CONSTRAINT "ticket_events_status" CHECK ("ticket_events"."status" in ('scheduled','cancelled'))
);
--> statement-breakpoint
CREATE TABLE "ticket_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"public_key" "bytea" NOT NULL,
	"secret_enc" "bytea" NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ticket_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"venue_id" text NOT NULL,
	"event_id" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"card_uid" text,
	"person_id" text,
	"asset" text NOT NULL,
	"total" bigint NOT NULL,
	"operation_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"event_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"category_id" text NOT NULL,
	"category_no" smallint NOT NULL,
	"audience" text NOT NULL,
	"price" bigint NOT NULL,
	"asset" text NOT NULL,
	"wallet_id" bigint NOT NULL,
	"status" text DEFAULT 'valid' NOT NULL,
	"key_id" text NOT NULL,
	"token" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"checked_in_at" timestamp with time zone,
	"checked_in_door" text,
	"checkin_nonce" text,
	"refunded_at" timestamp with time zone,
	"refund_operation" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_status" CHECK ("tickets"."status" in ('valid','refunded','revoked')),
	CONSTRAINT "tickets_audience" CHECK ("tickets"."audience" in ('full','reduced','member'))
);
--> statement-breakpoint
ALTER TABLE "ticket_categories" ADD CONSTRAINT "ticket_categories_event_id_ticket_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."ticket_events"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_categories_no" ON "ticket_categories" USING btree ("event_id","no");--> statement-breakpoint
CREATE INDEX "ticket_checkins_event" ON "ticket_checkins" USING btree ("event_id","door");--> statement-breakpoint
CREATE INDEX "ticket_events_venue" ON "ticket_events" USING btree ("venue_id","starts_at");--> statement-breakpoint
CREATE INDEX "ticket_events_public" ON "ticket_events" USING btree ("ends_at") WHERE "ticket_events"."visibility" = 'public';--> statement-breakpoint
CREATE INDEX "ticket_events_tags" ON "ticket_events" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "ticket_orders_event" ON "ticket_orders" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "ticket_orders_wallet" ON "ticket_orders" USING btree ("wallet_id");--> statement-breakpoint
CREATE INDEX "tickets_event" ON "tickets" USING btree ("event_id","updated_at");--> statement-breakpoint
CREATE INDEX "tickets_order" ON "tickets" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "tickets_wallet" ON "tickets" USING btree ("wallet_id");