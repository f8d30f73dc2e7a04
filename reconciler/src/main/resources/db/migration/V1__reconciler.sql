-- Reconciler state. JSON documents are stored as text: they are read and written whole by the
-- service, never queried inside by SQL.

-- A directory as the reconciler knows it: its tenant (fixed by the first event or rules change),
-- the per-directory sequence of identity events, and counters.
create table directory_state (
  directory_id text        primary key,
  tenant_id    text        not null,
  sequence     bigint      not null default 0,
  name         text,
  status       text        not null default 'ACTIVE',
  stale_count  bigint      not null default 0,
  updated_at   timestamptz not null default now()
);
create index directory_state_tenant on directory_state (tenant_id);

-- Versioned rules: a change inserts a new version, history is never rewritten.
create table rules_version (
  directory_id text        not null,
  version      int         not null,
  tenant_id    text        not null,
  document     text        not null,
  created_at   timestamptz not null default now(),
  created_by   text,
  primary key (directory_id, version)
);

create table canonical_user (
  id              uuid        primary key,
  tenant_id       text        not null,
  directory_id    text        not null,
  external_id     text,
  user_name       text,
  primary_email   text,
  employee_number text,
  state           text        not null,
  deleted         boolean     not null default false,
  attributes      text        not null,
  raw             text,
  provenance      text        not null,
  delete_after    timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index canonical_user_external on canonical_user (tenant_id, external_id) where not deleted;
create index canonical_user_email on canonical_user (tenant_id, primary_email) where not deleted;
create index canonical_user_username on canonical_user (tenant_id, user_name) where not deleted;
create index canonical_user_employee on canonical_user (tenant_id, employee_number) where not deleted;
create index canonical_user_delete_after on canonical_user (delete_after) where delete_after is not null;

create table canonical_group (
  id           uuid        primary key,
  tenant_id    text        not null,
  directory_id text        not null,
  external_id  text,
  display_name text,
  deleted      boolean     not null default false,
  attributes   text        not null,
  raw          text,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);
create index canonical_group_tenant on canonical_group (tenant_id, id);

-- Which source resource feeds which canonical entity, with the newest applied sourceVersion.
create table source_link (
  id             text        primary key, -- directoryId|kind|resourceId
  directory_id   text        not null,
  kind           text        not null,
  resource_id    text        not null,
  tenant_id      text        not null,
  entity_id      uuid        not null,
  source_version bigint      not null,
  content_hash   text,
  in_scope       boolean     not null,
  updated_at     timestamptz not null default now()
);
create index source_link_entity on source_link (entity_id);
create index source_link_directory on source_link (directory_id, kind) where in_scope;

-- Direct memberships as the source names them; canonical ids filled once both ends are known.
create table membership (
  id                 text    primary key, -- directoryId|groupResourceId|memberResourceId
  directory_id       text    not null,
  tenant_id          text    not null,
  group_resource_id  text    not null,
  member_resource_id text    not null,
  member_type        text    not null,
  group_id           uuid,
  member_id          uuid,
  emitted            boolean not null default false,
  cyclic             boolean not null default false
);
create index membership_group on membership (directory_id, group_resource_id);
create index membership_member_resource on membership (directory_id, member_resource_id);
create index membership_member on membership (member_id);
create index membership_group_id on membership (group_id);

create table sync_job (
  id            text        primary key,
  tenant_id     text        not null,
  directory_id  text        not null,
  connection_id text,
  mode          text,
  kind          text        not null,
  status        text        not null,
  counters      text        not null,
  planned       text,
  reason        text,
  started_at    timestamptz not null default now(),
  completed_at  timestamptz,
  decided_at    timestamptz,
  decided_by    text
);
create index sync_job_directory on sync_job (tenant_id, directory_id, started_at);
create index sync_job_blocked on sync_job (directory_id) where status in ('BLOCKED', 'RUNNING');

-- Changes of a job held until it completes within thresholds (or an admin resumes it).
create table staged_change (
  id          bigserial   primary key,
  job_id      text        not null,
  event_id    uuid        not null,
  type        text        not null,
  resource_id text,
  action      text,
  payload     text        not null,
  source_time timestamptz
);
create index staged_change_job on staged_change (job_id, id);

create table dispute (
  id           uuid        primary key,
  tenant_id    text        not null,
  directory_id text        not null,
  resource_id  text        not null,
  candidates   text        not null,
  event_type   text        not null,
  payload      text        not null,
  status       text        not null,
  resolution   text,
  created_at   timestamptz not null default now(),
  resolved_at  timestamptz,
  resolved_by  text
);
create index dispute_tenant on dispute (tenant_id, status, created_at);

-- Applied deletions of push directories, for the rolling-window threshold.
create table push_deletion (
  id           bigserial   primary key,
  directory_id text        not null,
  at           timestamptz not null default now()
);
create index push_deletion_directory on push_deletion (directory_id, at);

-- Source events that could not be applied (malformed, foreign tenant): kept, counted, not retried.
create table failed_event (
  event_id     uuid        primary key,
  tenant_id    text,
  directory_id text,
  type         text,
  reason       text        not null,
  payload      text,
  at           timestamptz not null default now()
);
