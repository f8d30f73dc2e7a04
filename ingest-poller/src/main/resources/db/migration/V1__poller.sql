-- Polling connections: one per source directory. The connection id is the directoryId of every
-- event it produces. Credentials are AES-GCM ciphertext (nonce || ciphertext+tag), never plaintext.
create table connection (
  id                     uuid        primary key,
  tenant_id              text        not null,
  name                   text        not null,
  type                   text        not null,
  settings               jsonb       not null default '{}',
  scope                  jsonb       not null default '{}',
  credentials            bytea,
  credentials_key_id     text,
  state                  text        not null check (state in ('ACTIVE', 'PAUSED', 'INVALID_CREDENTIALS', 'ERROR')),
  state_reason           text,
  incremental_minutes    integer,
  complete_daily_at      time,
  next_incremental_at    timestamptz,
  next_complete_at       timestamptz,
  -- Where the next incremental run starts (delta links, watermarks), from the last completed job.
  incremental_state      text,
  last_sync_at           timestamptz,
  created_at             timestamptz not null default now(),
  updated_at             timestamptz not null default now()
);
create index connection_tenant on connection (tenant_id);

-- Sync jobs. A lease (owner + expiry) says which replica runs a job; every page commit renews it
-- and fails when another replica has taken the job over, so a stale replica cannot write.
create table sync_job (
  id               uuid        primary key,
  connection_id    uuid        not null references connection (id) on delete cascade,
  tenant_id        text        not null,
  mode             text        not null check (mode in ('INCREMENTAL', 'COMPLETE')),
  status           text        not null check (status in ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
  phase            text        not null default 'LISTING' check (phase in ('LISTING', 'SWEEPING')),
  trigger          text        not null,
  cursor           text,
  next_state       text,
  counters         jsonb       not null default '{}',
  reason           text,
  lease_owner      text,
  lease_until      timestamptz,
  created_at       timestamptz not null default now(),
  started_at       timestamptz,
  finished_at      timestamptz
);
-- At most one job per connection is pending or running, whatever the number of replicas.
create unique index sync_job_one_active on sync_job (connection_id) where status in ('PENDING', 'RUNNING');
create index sync_job_claimable on sync_job (created_at) where status in ('PENDING', 'RUNNING');
create index sync_job_connection on sync_job (connection_id, created_at desc);

-- What the source looked like after the last page: the normalised resource of each user and group,
-- so only real differences are emitted. Deleted resources stay as tombstones, so sourceVersion
-- keeps increasing if the id comes back.
create table snapshot_entry (
  connection_id  uuid        not null references connection (id) on delete cascade,
  kind           text        not null check (kind in ('User', 'Group')),
  resource_id    text        not null,
  resource       jsonb,
  version        bigint      not null,
  deleted        boolean     not null default false,
  seen_job       uuid,
  primary key (connection_id, kind, resource_id)
);
create index snapshot_entry_unseen on snapshot_entry (connection_id, kind, seen_job) where not deleted;

create table snapshot_member (
  connection_id  uuid not null references connection (id) on delete cascade,
  group_id       text not null,
  member_id      text not null,
  member_type    text not null,
  seen_job       uuid,
  primary key (connection_id, group_id, member_id)
);
create index snapshot_member_member on snapshot_member (connection_id, member_id);
