ALTER TABLE "membership_periods" ADD COLUMN "reminders_off_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD COLUMN "cancelled_by" text;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD COLUMN "cancel_refund" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD COLUMN "cancel_operation_id" text;--> statement-breakpoint
ALTER TABLE "membership_periods" ADD CONSTRAINT "membership_periods_cancel_refund" CHECK ("membership_periods"."cancel_refund" >= 0 and "membership_periods"."cancel_refund" <= "membership_periods"."amount");