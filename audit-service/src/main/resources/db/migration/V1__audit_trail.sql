-- The audit trail: one append-only row per consumed event, hash-chained per tenant.
create table audit_record (
  tenant_id     text        not null,
  -- Position in the tenant's chain: 1, 2, 3, ... without gaps (a gap is a deleted row).
  seq           bigint      not null,
  event_id      uuid        not null,
  event_type    text        not null,
  source        text        not null,
  directory_id  text,
  occurred_at   timestamptz not null,
  recorded_at   timestamptz not null,
  actor_kind    text        not null,
  actor_id      text,
  action        text        not null,
  entity_type   text,
  entity_id     text,
  outcome       text        not null,
  job_id        text,
  trace_id      text,
  data          jsonb       not null,
  prev_hash     text        not null,
  hash          text        not null,
  primary key (tenant_id, seq)
);

-- Idempotency: an event is recorded once, whichever consumer or replica sees it.
create unique index audit_record_event on audit_record (event_id);

-- Query indexes: every filtered page is an index range scan in (occurred_at, seq) order.
create index audit_record_time on audit_record (tenant_id, occurred_at, seq);
create index audit_record_entity on audit_record (tenant_id, entity_id, occurred_at, seq);
create index audit_record_actor on audit_record (tenant_id, actor_id, occurred_at, seq);
create index audit_record_directory on audit_record (tenant_id, directory_id, occurred_at, seq);
create index audit_record_action on audit_record (tenant_id, action, occurred_at, seq);
-- Failures are rare; a partial index finds them without scanning the successes.
create index audit_record_not_success on audit_record (tenant_id, occurred_at, seq) where outcome <> 'SUCCESS';
-- recorded_at grows with seq; a BRIN index finds the retention cut and verify windows cheaply.
create index audit_record_recorded on audit_record using brin (recorded_at);

-- The head of each tenant's chain. Appending locks this row (FOR UPDATE) in the same
-- transaction as the insert, so concurrent consumers extend a tenant's chain one at a time.
create table chain_head (
  tenant_id        text        primary key,
  seq              bigint      not null,
  hash             text        not null,
  recorded_at      timestamptz not null,
  checkpointed_seq bigint      not null default 0
);

-- Checkpoints: the chain head (position and hash) at a moment, published to
-- dsync.audit.records. RETENTION checkpoints also mark the prefix retention may delete.
create table audit_checkpoint (
  id             uuid        primary key,
  tenant_id      text        not null,
  head_position  bigint      not null,
  head_hash      text        not null,
  record_count   bigint      not null,
  reason         text        not null,
  created_at     timestamptz not null
);
create index audit_checkpoint_tenant on audit_checkpoint (tenant_id, head_position);

-- Roles. The service writes as audit_writer, which may only INSERT and SELECT audit rows;
-- retention deletes as audit_retention. Roles are cluster-wide, so create them only once
-- (an operator may also have created them beforehand, e.g. CloudNativePG managed roles).
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'audit_writer') then
    create role audit_writer nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'audit_retention') then
    create role audit_retention nologin;
  end if;
end $$;

grant usage on schema ${flyway:defaultSchema} to audit_writer, audit_retention;

grant select, insert on audit_record to audit_writer;
grant select, insert, update on chain_head to audit_writer;
grant select, insert on audit_checkpoint to audit_writer;
-- The platform's outbox relay marks and cleans up published rows; the inbox is not used.
grant select, insert, update, delete on outbox_event to audit_writer;
grant usage on all sequences in schema ${flyway:defaultSchema} to audit_writer;

grant select, delete on audit_record to audit_retention;
grant select on chain_head, audit_checkpoint to audit_retention;
