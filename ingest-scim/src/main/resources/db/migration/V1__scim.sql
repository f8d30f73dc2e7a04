-- SCIM directories and their bearer tokens (hashes only).
create table scim_directory (
  id          uuid        primary key,
  tenant_id   text        not null,
  name        text        not null,
  state       text        not null check (state in ('ACTIVE', 'INACTIVE')),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index scim_directory_tenant on scim_directory (tenant_id);

create table scim_token (
  id           uuid        primary key,
  directory_id uuid        not null references scim_directory (id) on delete cascade,
  token_hash   bytea       not null unique,
  hint         text        not null,
  created_at   timestamptz not null default now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
create index scim_token_directory on scim_token (directory_id);

-- Users: the SCIM resource as a document, with the attributes that filters and uniqueness need
-- lifted into indexed columns. version is the per-resource sourceVersion and the ETag.
create table scim_user (
  id              uuid        primary key,
  directory_id    uuid        not null references scim_directory (id) on delete cascade,
  user_name       text        not null,
  user_name_lower text        not null,
  external_id     text,
  display_name    text,
  active          boolean     not null default true,
  emails_lower    text[]      not null default '{}',
  resource        jsonb       not null,
  version         bigint      not null,
  created_at      timestamptz not null,
  last_modified   timestamptz not null
);
create unique index scim_user_name on scim_user (directory_id, user_name_lower);
create index scim_user_external_id on scim_user (directory_id, external_id);
create index scim_user_display_name on scim_user (directory_id, lower(display_name));
create index scim_user_emails on scim_user using gin (emails_lower);
create index scim_user_created on scim_user (directory_id, created_at, id);
create index scim_user_modified on scim_user (directory_id, last_modified);

create table scim_group (
  id                 uuid        primary key,
  directory_id       uuid        not null references scim_directory (id) on delete cascade,
  display_name       text        not null,
  external_id        text,
  resource           jsonb       not null,
  version            bigint      not null,
  created_at         timestamptz not null,
  last_modified      timestamptz not null
);
create index scim_group_display_name on scim_group (directory_id, lower(display_name));
create index scim_group_external_id on scim_group (directory_id, external_id);
create index scim_group_created on scim_group (directory_id, created_at, id);

-- One row per member: adding or removing one member of a huge group touches one row.
create table scim_group_member (
  group_id     uuid not null references scim_group (id) on delete cascade,
  member_id    text not null,
  member_type  text not null default 'User',
  display      text,
  primary key (group_id, member_id)
);
create index scim_group_member_member on scim_group_member (member_id);
