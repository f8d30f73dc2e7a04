-- The payload is only ever stored and read back whole by the relay: as jsonb every row was parsed
-- on insert and printed again on read (the largest part of PostgreSQL's CPU per outbox row under
-- load). Kept as the exact text the service wrote; lz4 where the server has it, as pglz costs
-- several times more CPU for these few-KB JSON documents.
-- Rows already published need no rewrite (and the relay no longer keeps them by default).
delete from outbox_event where published_at is not null;
alter table outbox_event alter column payload type text using payload::text;
do $$
begin
  if exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)) then
    execute 'alter table outbox_event alter column payload set compression lz4';
  end if;
end
$$;
