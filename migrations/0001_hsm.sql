CREATE TABLE "hsm_cycles" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"worker" text NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"migrated" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"details" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "migration_lease_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "hsm_cycles_started_idx" ON "hsm_cycles" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "instances_tier_accessed_idx" ON "instances" USING btree ("storage_tier","last_accessed_at");--> statement-breakpoint
CREATE INDEX "instances_tier_stored_idx" ON "instances" USING btree ("storage_tier","stored_at");