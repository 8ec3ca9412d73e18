-- QIDO PatientName: the name index also holds the study list's order (date, time, id) and the
-- name itself, so that a search by name prefix is an index-only scan instead of a walk of
-- studies_date_idx that reads every study to test its name (schema.ts says more).
DROP INDEX "studies_patient_name_idx";--> statement-breakpoint
CREATE INDEX "studies_patient_name_idx" ON "studies" USING btree (upper("patient_name") text_pattern_ops,"partition_key","study_date" DESC NULLS LAST,"study_time" DESC NULLS LAST,"id" DESC NULLS LAST,"patient_name");
