-- When the reconciler planned a job (its thresholds checked) and when it finished applying it: the
-- job history's apply time. started_at/completed_at are the source's times.
alter table sync_job add column planned_at timestamptz, add column applied_at timestamptz;
