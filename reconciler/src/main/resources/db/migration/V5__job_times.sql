-- started_at/completed_at become the source's times (its clock, so a job's duration is the
-- source's); received_at keeps the reconciler's, which orders a directory's jobs as they arrived
-- (until now started_at was that time). planned_at: when the reconciler checked the job against
-- the thresholds; applied_at: when it finished applying it.
alter table sync_job add column received_at timestamptz, add column planned_at timestamptz, add column applied_at timestamptz;
update sync_job set received_at = started_at;
alter table sync_job alter column received_at set not null, alter column received_at set default now();
