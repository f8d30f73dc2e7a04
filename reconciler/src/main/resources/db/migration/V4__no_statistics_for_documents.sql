-- The JSON documents (attributes, raw resource, provenance, staged payload) are never filtered or
-- joined on, but ANALYZE sampled them all: a 2 KB user row's documents are TOASTed, so each of the
-- 30,000 sampled rows was detoasted and decompressed (2.3 s of PostgreSQL's ~21 s in a
-- 100,000-user sync, which analyzes four times as it grows). Plans need only the key columns.
alter table canonical_user alter column attributes set statistics 0;
alter table canonical_user alter column raw set statistics 0;
alter table canonical_user alter column provenance set statistics 0;
alter table canonical_group alter column attributes set statistics 0;
alter table canonical_group alter column raw set statistics 0;
alter table staged_change alter column payload set statistics 0;
