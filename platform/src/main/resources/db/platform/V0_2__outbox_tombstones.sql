-- A row without payload is a tombstone: the relay publishes a null value (compacted topics drop
-- the key), keeping the key and the ce_* headers.
alter table outbox_event alter column payload drop not null;
