CREATE TABLE "artist_email_verifications" (
	"token_hash" "bytea" PRIMARY KEY NOT NULL,
	"artist_id" text NOT NULL,
	"password_hash" text NOT NULL,
	"name" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "artists" ADD COLUMN "email_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "artist_email_verifications" ADD CONSTRAINT "artist_email_verifications_artist_id_artists_id_fk" FOREIGN KEY ("artist_id") REFERENCES "public"."artists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artist_email_verifications_artist" ON "artist_email_verifications" USING btree ("artist_id","created_at");--> statement-breakpoint
-- Accounts created before verification existed keep working: they count as verified.
UPDATE "artists" SET "email_verified_at" = "created_at";