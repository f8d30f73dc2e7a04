-- The notification names the buckets that got rows, so a relay wakes only the drain loops that
-- own them (OutboxRelay: loop = bucket % loops) instead of all of them for every commit.
create or replace function outbox_event_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('dsync_outbox_' || tg_table_schema, coalesce((select string_agg(distinct bucket::text, ',') from inserted), ''));
  return null;
end $$;

drop trigger outbox_event_inserted on outbox_event;
create trigger outbox_event_inserted after insert on outbox_event
  referencing new table as inserted
  for each statement execute function outbox_event_notify();
