-- A blocked job's batch rows keep their changes' planned actions beside them, in the changes'
-- order (null where a change plans none), instead of being rewritten a change per row: the rewrite
-- gave every change a new id, so a client paging the job's changes across its block (a cursor
-- `<row>` or `<row>.<index>`) was sent back to the start, and a blocked 100,000-change job was
-- written twice more before an administrator had looked at it.
alter table staged_change add column actions text[];
