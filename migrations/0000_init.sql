CREATE TABLE "blob_journal" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"blob_key" text NOT NULL,
	"storage_tier" text NOT NULL,
	"kind" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partition_key" text DEFAULT 'default' NOT NULL,
	"sop_instance_uid" text NOT NULL,
	"series_fk" bigint NOT NULL,
	"study_fk" bigint NOT NULL,
	"sop_class_uid" text NOT NULL,
	"instance_number" integer,
	"transfer_syntax_uid" text NOT NULL,
	"rows" integer,
	"columns" integer,
	"bits_allocated" integer,
	"number_of_frames" integer,
	"blob_key" text NOT NULL,
	"storage_tier" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"dataset_offset" integer NOT NULL,
	"deflated" boolean DEFAULT false NOT NULL,
	"pixel_data" jsonb,
	"bulk_data" jsonb NOT NULL,
	"metadata" jsonb NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_accessed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "patients" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partition_key" text DEFAULT 'default' NOT NULL,
	"patient_id" text DEFAULT '' NOT NULL,
	"issuer_of_patient_id" text DEFAULT '' NOT NULL,
	"patient_name" text,
	"patient_birth_date" text,
	"patient_sex" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "series" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partition_key" text DEFAULT 'default' NOT NULL,
	"series_instance_uid" text NOT NULL,
	"study_fk" bigint NOT NULL,
	"modality" text,
	"series_number" integer,
	"series_description" text,
	"body_part_examined" text,
	"series_date" text,
	"pps_start_date" text,
	"pps_start_time" text,
	"institution_name" text,
	"attributes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "studies" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partition_key" text DEFAULT 'default' NOT NULL,
	"study_instance_uid" text NOT NULL,
	"patient_fk" bigint NOT NULL,
	"study_date" text,
	"study_time" text,
	"accession_number" text,
	"study_id" text,
	"study_description" text,
	"referring_physician_name" text,
	"patient_name" text,
	"patient_id" text,
	"patient_birth_date" text,
	"patient_sex" text,
	"attributes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_series_fk_series_id_fk" FOREIGN KEY ("series_fk") REFERENCES "public"."series"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_study_fk_studies_id_fk" FOREIGN KEY ("study_fk") REFERENCES "public"."studies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "series" ADD CONSTRAINT "series_study_fk_studies_id_fk" FOREIGN KEY ("study_fk") REFERENCES "public"."studies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "studies" ADD CONSTRAINT "studies_patient_fk_patients_id_fk" FOREIGN KEY ("patient_fk") REFERENCES "public"."patients"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "blob_journal_due_idx" ON "blob_journal" USING btree ("due_at");--> statement-breakpoint
CREATE UNIQUE INDEX "blob_journal_key_kind_uq" ON "blob_journal" USING btree ("blob_key","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_uid_uq" ON "instances" USING btree ("partition_key","sop_instance_uid");--> statement-breakpoint
CREATE INDEX "instances_series_idx" ON "instances" USING btree ("series_fk","instance_number");--> statement-breakpoint
CREATE INDEX "instances_study_idx" ON "instances" USING btree ("study_fk");--> statement-breakpoint
CREATE UNIQUE INDEX "patients_identity_uq" ON "patients" USING btree ("partition_key","patient_id","issuer_of_patient_id");--> statement-breakpoint
CREATE UNIQUE INDEX "series_uid_uq" ON "series" USING btree ("partition_key","series_instance_uid");--> statement-breakpoint
CREATE INDEX "series_study_idx" ON "series" USING btree ("study_fk");--> statement-breakpoint
CREATE UNIQUE INDEX "studies_uid_uq" ON "studies" USING btree ("partition_key","study_instance_uid");--> statement-breakpoint
CREATE INDEX "studies_patient_idx" ON "studies" USING btree ("patient_fk");