-- Identifiers compare byte by byte. Under the database's default collation (C.UTF-8 from initdb,
-- or en_US.UTF-8 elsewhere) every comparison inside these columns' indexes went through the C
-- library's strcoll: ~1.5 % of a sync's CPU (perf) for keys that are only ever matched for
-- equality. Equality is the same under "C"; ordering (only the API's stable listing orders use
-- it) becomes plain code point order. The tables are not rewritten, the indexes are rebuilt.
alter table canonical_user
  alter column tenant_id type text collate "C",
  alter column directory_id type text collate "C",
  alter column external_id type text collate "C",
  alter column user_name type text collate "C",
  alter column primary_email type text collate "C",
  alter column employee_number type text collate "C";
alter table source_link
  alter column id type text collate "C",
  alter column directory_id type text collate "C",
  alter column kind type text collate "C",
  alter column resource_id type text collate "C",
  alter column tenant_id type text collate "C";
alter table membership
  alter column id type text collate "C",
  alter column directory_id type text collate "C",
  alter column tenant_id type text collate "C",
  alter column group_resource_id type text collate "C",
  alter column member_resource_id type text collate "C";
alter table staged_change
  alter column job_id type text collate "C";
-- Changing a column's type drops its statistics; plans on these keys depend on them (see Store's
-- candidate query and the planner settings in application.properties).
analyze canonical_user, source_link, membership, staged_change;
