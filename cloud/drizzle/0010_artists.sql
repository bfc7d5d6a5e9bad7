CREATE TABLE "artist_availability" (
	"artist_id" text NOT NULL,
	"from_date" date NOT NULL,
	"to_date" date NOT NULL,
	CONSTRAINT "artist_availability_artist_id_from_date_pk" PRIMARY KEY("artist_id","from_date"),
	CONSTRAINT "artist_availability_range" CHECK ("artist_availability"."to_date" >= "artist_availability"."from_date")
);
--> statement-breakpoint
CREATE TABLE "artist_images" (
	"artist_id" text PRIMARY KEY NOT NULL,
	"content_type" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artist_proposal_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"proposal_id" text NOT NULL,
	"author" text NOT NULL,
	"author_id" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artist_proposal_messages_author" CHECK ("artist_proposal_messages"."author" in ('artist','venue'))
);
--> statement-breakpoint
CREATE TABLE "artist_proposals" (
	"id" text PRIMARY KEY NOT NULL,
	"artist_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"status" text DEFAULT 'sent' NOT NULL,
	"message" text NOT NULL,
	"dates" jsonb NOT NULL,
	"fee_amount" bigint,
	"fee_currency" text DEFAULT 'EUR' NOT NULL,
	"request_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	CONSTRAINT "artist_proposals_status" CHECK ("artist_proposals"."status" in ('sent','seen','accepted','declined')),
	CONSTRAINT "artist_proposals_fee" CHECK ("artist_proposals"."fee_amount" is null or "artist_proposals"."fee_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "artist_sessions" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"artist_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artists" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"name" text NOT NULL,
	"bio" text DEFAULT '' NOT NULL,
	"media_links" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tech_rider" text DEFAULT '' NOT NULL,
	"image_url" text,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"region" text DEFAULT '' NOT NULL,
	"region_key" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "event_artists" (
	"event_id" text NOT NULL,
	"artist_id" text NOT NULL,
	"position" smallint DEFAULT 0 NOT NULL,
	CONSTRAINT "event_artists_event_id_artist_id_pk" PRIMARY KEY("event_id","artist_id")
);
--> statement-breakpoint
ALTER TABLE "artist_availability" ADD CONSTRAINT "artist_availability_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artist_images" ADD CONSTRAINT "artist_images_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artist_proposal_messages" ADD CONSTRAINT "artist_proposal_messages_proposal_id_artist_proposals_id_fk" FOREIGN KEY ("proposal_id") REFERENCES "public"."artist_proposals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artist_proposals" ADD CONSTRAINT "artist_proposals_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artist_sessions" ADD CONSTRAINT "artist_sessions_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "event_artists" ADD CONSTRAINT "event_artists_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artist_proposal_messages_proposal" ON "artist_proposal_messages" USING btree ("proposal_id","id");--> statement-breakpoint
CREATE INDEX "artist_proposals_venue" ON "artist_proposals" USING btree ("venue_id","created_at");--> statement-breakpoint
CREATE INDEX "artist_proposals_artist" ON "artist_proposals" USING btree ("artist_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "artist_proposals_request" ON "artist_proposals" USING btree ("artist_id","request_key");--> statement-breakpoint
CREATE UNIQUE INDEX "artists_email" ON "artists" USING btree ("email");--> statement-breakpoint
CREATE INDEX "artists_tags" ON "artists" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "artists_region" ON "artists" USING btree ("region_key");--> statement-breakpoint
CREATE INDEX "event_artists_artist" ON "event_artists" USING btree ("artist_id");