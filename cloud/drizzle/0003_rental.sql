CREATE TABLE "fleet_devices" (
	"id" text PRIMARY KEY NOT NULL,
	"no" integer GENERATED ALWAYS AS IDENTITY (sequence name "fleet_devices_no_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"federation_id" text NOT NULL,
	"board" text NOT NULL,
	"serial" text NOT NULL,
	"firmware_version" text NOT NULL,
	"status" text DEFAULT 'available' NOT NULL,
	"location" text DEFAULT 'warehouse' NOT NULL,
	"kit_id" text,
	"wipe_pending" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fleet_devices_status" CHECK ("fleet_devices"."status" in ('available','rented','repair','retired'))
);
--> statement-breakpoint
CREATE TABLE "rental_allocations" (
	"booking_id" text NOT NULL,
	"device_id" text NOT NULL,
	"device_no" integer NOT NULL,
	"period" daterange NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"condition" text,
	"damage_note" text,
	"damage_charge" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "rental_allocations_booking_id_device_id_pk" PRIMARY KEY("booking_id","device_id")
);
--> statement-breakpoint
CREATE TABLE "rental_bookings" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"kit_id" text NOT NULL,
	"venue_id" text NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"days" integer NOT NULL,
	"currency" text NOT NULL,
	"price_per_day" bigint NOT NULL,
	"rental_amount" bigint NOT NULL,
	"deposit_amount" bigint NOT NULL,
	"status" text DEFAULT 'booked' NOT NULL,
	"contact" text DEFAULT '' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_out_at" timestamp with time zone,
	"returned_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "rental_bookings_dates" CHECK ("rental_bookings"."end_date" >= "rental_bookings"."start_date" and "rental_bookings"."days" = "rental_bookings"."end_date" - "rental_bookings"."start_date" + 1),
	CONSTRAINT "rental_bookings_status" CHECK ("rental_bookings"."status" in ('booked','checked_out','returned','cancelled'))
);
--> statement-breakpoint
CREATE TABLE "rental_deposits" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"booking_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"method" text DEFAULT '' NOT NULL,
	"reference" text DEFAULT '' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rental_deposits_kind" CHECK ("rental_deposits"."kind" in ('received','retained','refunded')),
	CONSTRAINT "rental_deposits_amount" CHECK ("rental_deposits"."amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "rental_invoices" (
	"booking_id" text PRIMARY KEY NOT NULL,
	"number" integer GENERATED ALWAYS AS IDENTITY (sequence name "rental_invoices_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"content" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rental_kits" (
	"id" text PRIMARY KEY NOT NULL,
	"federation_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"currency" text DEFAULT 'EUR' NOT NULL,
	"price_per_day" bigint NOT NULL,
	"deposit" bigint NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rental_kits_amounts" CHECK ("rental_kits"."price_per_day" >= 0 and "rental_kits"."deposit" >= 0)
);
--> statement-breakpoint
ALTER TABLE "fleet_devices" ADD CONSTRAINT "fleet_devices_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fleet_devices" ADD CONSTRAINT "fleet_devices_kit_id_rental_kits_id_fk" FOREIGN KEY ("kit_id") REFERENCES "public"."rental_kits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_allocations" ADD CONSTRAINT "rental_allocations_booking_id_rental_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."rental_bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_allocations" ADD CONSTRAINT "rental_allocations_device_id_fleet_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."fleet_devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_bookings" ADD CONSTRAINT "rental_bookings_kit_id_rental_kits_id_fk" FOREIGN KEY ("kit_id") REFERENCES "public"."rental_kits"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_bookings" ADD CONSTRAINT "rental_bookings_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_deposits" ADD CONSTRAINT "rental_deposits_booking_id_rental_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."rental_bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_invoices" ADD CONSTRAINT "rental_invoices_booking_id_rental_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."rental_bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rental_kits" ADD CONSTRAINT "rental_kits_federation_id_federations_id_fk" FOREIGN KEY ("federation_id") REFERENCES "public"."federations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "fleet_devices_no" ON "fleet_devices" USING btree ("no");--> statement-breakpoint
CREATE UNIQUE INDEX "fleet_devices_serial" ON "fleet_devices" USING btree ("federation_id","serial");--> statement-breakpoint
CREATE INDEX "fleet_devices_kit" ON "fleet_devices" USING btree ("kit_id");--> statement-breakpoint
CREATE INDEX "rental_allocations_device" ON "rental_allocations" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "rental_bookings_kit" ON "rental_bookings" USING btree ("kit_id","start_date");--> statement-breakpoint
CREATE INDEX "rental_bookings_venue" ON "rental_bookings" USING btree ("venue_id");--> statement-breakpoint
CREATE INDEX "rental_deposits_booking" ON "rental_deposits" USING btree ("booking_id");