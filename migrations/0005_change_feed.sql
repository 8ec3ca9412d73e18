CREATE TABLE "change_feed" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sequence" bigint,
	"partition_key" text DEFAULT 'default' NOT NULL,
	"action" text NOT NULL,
	"study_instance_uid" text NOT NULL,
	"series_instance_uid" text NOT NULL,
	"sop_instance_uid" text NOT NULL,
	"instance_id" bigint NOT NULL,
	"instance_version" integer NOT NULL,
	"patient_id" text,
	"modality" text,
	"sop_class_uid" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_feed_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"actions" text[],
	"study_instance_uid" text,
	"series_instance_uid" text,
	"modality" text,
	"sop_class_uid" text,
	"delivered_sequence" bigint NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_error" text,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "change_feed_sequence_uq" ON "change_feed" USING btree ("sequence") WHERE "change_feed"."sequence" is not null;--> statement-breakpoint
CREATE INDEX "change_feed_unpublished_idx" ON "change_feed" USING btree ("id") WHERE "change_feed"."sequence" is null;--> statement-breakpoint
INSERT INTO "change_feed_head" ("id", "last_sequence") VALUES (1, 0) ON CONFLICT DO NOTHING;
