-- A job within thresholds is applied a page per transaction (APPLYING) instead of in one
-- transaction of the whole job: the outbox relay publishes while the apply runs, and no transaction
-- holds a 100,000-user sync. The directory names the job being applied; until it is done no other
-- change of the directory is applied, so the order per directory holds across the page commits
-- and across a crash in the middle (the rest of the job is applied first).
alter table directory_state add column applying_job text;
create index sync_job_applying on sync_job (started_at) where status = 'APPLYING';
