-- A user may be fed by several directories, each applied in a transaction of its own (a partition
-- on another replica, an administrator resolving a dispute, the grace sweeper). An update written
-- over a row another transaction changed since it was read would undo that change: every update
-- of a user checks the version it read and advances it (optimistic locking, no row locks).
alter table canonical_user add column row_version bigint not null default 0;
