-- A running job's changes are staged a batch per row: the changes of one transaction's chunk (up
-- to 250, one job, one type) in the outbox's batch form (lz4). One row per change cost a staged
-- 100,000-change sync ~1.3 s of PostgreSQL's time to insert and ~0.8 s to read back, and ~20 % of
-- the sync's WAL, for rows that are written once, read once and deleted.
--   changes:      how many changes the row holds (null: one, a row written before this version)
--   batch:        a batch row's changes (event id, resource id, JSON); null for a single change
--   resource_ids: a batch row's resource ids, in order, for a complete sync's "not listed" check
--   applied:      how many of the row's changes committed pages applied (a page may end inside a
--                 batch row: pages keep their size and weight limits whatever the rows hold)
-- A blocked job's rows are rewritten a change per row, each with its planned action.
alter table staged_change
  add column changes int,
  add column batch bytea,
  add column resource_ids text[],
  add column applied int not null default 0;
alter table staged_change alter column batch set storage external;
alter table staged_change alter column payload drop not null;
alter table staged_change alter column event_id drop not null;
