-- The latest source resource of each user of a directory whose scope names groups: a user outside
-- those groups is not managed, and must be provisioned from here when it joins one of them.
create table source_user (
  directory_id   text   not null,
  resource_id    text   not null,
  source_version bigint not null,
  payload        text   not null,
  primary key (directory_id, resource_id)
);
