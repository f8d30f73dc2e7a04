create table note (
  id         uuid        primary key,
  tenant_id  text        not null,
  text       text        not null,
  created_at timestamptz not null default now()
);
create index note_tenant on note (tenant_id);

-- What the idempotent test consumer did: one row per applied event.
create table consumed_effect (
  event_id  uuid        not null,
  tenant_id text        not null,
  seen_at   timestamptz not null default now()
);
