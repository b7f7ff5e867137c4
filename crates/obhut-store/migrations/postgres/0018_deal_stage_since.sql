-- When a deal entered its current stage: the pipeline's cards show the age in stage. Deals
-- from before count from their last change.
ALTER TABLE deals ADD COLUMN stage_entered_at BIGINT;
UPDATE deals SET stage_entered_at = updated_at;
