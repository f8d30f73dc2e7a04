-- Transactional outbox: rows commit with the state change they describe; OutboxRelay publishes
-- them. Columns follow Debezium's outbox event router (id, aggregatetype, aggregateid, type,
-- timestamp, payload) so its EventRouter could replace the relay without a schema change.
create table outbox_event (
  id            uuid        primary key,
  aggregatetype text        not null,
  aggregateid   text        not null,
  type          text        not null,
  "timestamp"   timestamptz not null default now(),
  payload       jsonb       not null,
  topic         text        not null,
  source        text        not null,
  subject       text,
  tenant_id     text        not null,
  directory_id  text,
  traceparent   text,
  -- Rows of one aggregate (= Kafka key) share a bucket; one relay at a time owns a bucket, so
  -- per-key order holds across replicas.
  bucket        smallint    not null,
  seq           bigserial   not null unique,
  published_at  timestamptz
);

create index outbox_event_unpublished on outbox_event (bucket, seq) where published_at is null;
create index outbox_event_published_at on outbox_event (published_at) where published_at is not null;

-- NOTIFY is delivered at commit, so the relay wakes exactly when new rows become visible.
create function outbox_event_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('dsync_outbox_' || tg_table_schema, '');
  return null;
end $$;

create trigger outbox_event_inserted after insert on outbox_event
  for each statement execute function outbox_event_notify();

-- Idempotent inbox: a consumer records each event id it applied in the same transaction as the
-- effect; a redelivered event finds its id and is skipped.
create table processed_event (
  consumer     text        not null,
  event_id     uuid        not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
