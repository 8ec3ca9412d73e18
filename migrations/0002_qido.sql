ALTER TABLE "studies" ADD COLUMN "patient_name_fuzzy" text;--> statement-breakpoint
ALTER TABLE "studies" ADD COLUMN "referring_physician_name_fuzzy" text;--> statement-breakpoint
CREATE INDEX "instances_sop_class_idx" ON "instances" USING btree ("sop_class_uid");--> statement-breakpoint
CREATE INDEX "series_modality_idx" ON "series" USING btree ("modality","study_fk");--> statement-breakpoint
CREATE INDEX "studies_date_idx" ON "studies" USING btree ("partition_key","study_date" DESC NULLS LAST,"study_time" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "studies_patient_id_idx" ON "studies" USING btree ("patient_id" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "studies_accession_idx" ON "studies" USING btree ("accession_number" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "studies_patient_name_idx" ON "studies" USING btree (upper("patient_name") text_pattern_ops);--> statement-breakpoint
-- Backfill of the fuzzy-matching columns for rows stored before this migration. Ingest fills them
-- with index/qido/fuzzy.ts (Unicode NFKD, combining marks stripped); SQL has no portable
-- unaccent (PGlite lacks the extension), so this folds the Latin-1 accented letters by
-- translate(), which covers the names such an archive holds; the next STOW of a study refreshes it.
UPDATE "studies" SET
  "patient_name_fuzzy" = CASE WHEN "patient_name" IS NULL THEN NULL ELSE ' ' || btrim(regexp_replace(upper(translate("patient_name", 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy')), '[^[:alnum:]]+', ' ', 'g')) || ' ' END,
  "referring_physician_name_fuzzy" = CASE WHEN "referring_physician_name" IS NULL THEN NULL ELSE ' ' || btrim(regexp_replace(upper(translate("referring_physician_name", 'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿ', 'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyy')), '[^[:alnum:]]+', ' ', 'g')) || ' ' END
WHERE "patient_name" IS NOT NULL OR "referring_physician_name" IS NOT NULL;
