-- Webhook endpoints of each tenant. Secrets are AES-GCM sealed (SecretBox), never stored in clear.
create table endpoint (
  id                         uuid        primary key,
  tenant_id                  text        not null,
  url                        text        not null,
  description                text,
  -- JSON arrays of event types and directory ids; empty means "all".
  event_types                text        not null default '[]',
  directory_ids              text        not null default '[]',
  enabled                    boolean     not null,
  disabled_reason            text,
  rate_limit                 integer,
  secret                     bytea       not null,
  previous_secret            bytea,
  previous_secret_expires_at timestamptz,
  -- Start of the current run of failures; cleared by a success. Drives auto-disable.
  failing_since              timestamptz,
  created_at                 timestamptz not null,
  updated_at                 timestamptz not null
);
create index endpoint_tenant on endpoint (tenant_id, created_at, id);

-- One row per identity event (and per test event): the exact body that is signed and sent.
-- id is the CloudEvents id of the event and the webhook-id of every delivery of it.
create table message (
  id           uuid        primary key,
  tenant_id    text        not null,
  directory_id text,
  event_type   text        not null,
  sequence     bigint,
  occurred_at  timestamptz not null,
  payload      text        not null,
  created_at   timestamptz not null
);
create index message_tenant_created on message (tenant_id, created_at desc, id desc);
create index message_directory on message (tenant_id, directory_id, occurred_at);

-- The attempt schedule: one row per message and subscribed endpoint. Workers claim due rows with
-- FOR UPDATE SKIP LOCKED and lease them by pushing next_attempt_at out; a replica that dies
-- mid-delivery leaves the row to be claimed again when the lease ends.
create table delivery (
  id              uuid        primary key,
  tenant_id       text        not null,
  message_id      uuid        not null references message (id) on delete cascade,
  endpoint_id     uuid        not null references endpoint (id) on delete cascade,
  status          text        not null,
  attempts        integer     not null default 0,
  -- attempts made before the latest redelivery: the retry schedule restarts from here.
  schedule_base   integer     not null default 0,
  next_attempt_at timestamptz,
  claim_id        uuid,
  last_http_status integer,
  last_error      text,
  created_at      timestamptz not null,
  updated_at      timestamptz not null,
  unique (message_id, endpoint_id)
);
create index delivery_due on delivery (endpoint_id, next_attempt_at) where status = 'PENDING';
create index delivery_endpoint_created on delivery (endpoint_id, created_at desc, id desc);

-- Every HTTP attempt and its outcome (also published on dsync.webhook.attempts).
create table attempt (
  id              uuid        primary key,
  tenant_id       text        not null,
  delivery_id     uuid        not null references delivery (id) on delete cascade,
  message_id      uuid        not null,
  endpoint_id     uuid        not null,
  attempt_no      integer     not null,
  attempted_at    timestamptz not null,
  outcome         text        not null,
  http_status     integer,
  latency_ms      bigint      not null,
  response_body   text,
  error           text,
  next_attempt_at timestamptz
);
create index attempt_endpoint on attempt (endpoint_id, attempted_at desc, id desc);
create index attempt_message on attempt (message_id);
