-- The inbox's key starts with the consumer's name, the same for every row of a service: each
-- comparison of an insert's descent into the primary key compared it through the C library's
-- strcoll before reaching the event id. Byte order, as for the reconciler's identifiers (V7).
alter table processed_event alter column consumer type text collate "C";
-- Changing a column's type drops its statistics.
analyze processed_event;
