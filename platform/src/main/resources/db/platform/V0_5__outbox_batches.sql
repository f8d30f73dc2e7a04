-- A batch row carries batch_size events of one bucket in batch (OutboxBatch's encoding, lz4-compressed
-- by the service), where a plain row (batch_size null) carries one in payload. A sync job's page
-- wrote ~1,800 rows, each with its index entries, a claim and a delete; as batches it writes about
-- twenty. Compressed before it arrives, a batch is stored as it is (external: PostgreSQL does not
-- try to compress it again). The relay publishes a batch's events as records of their own, in
-- order, with their own ids.
alter table outbox_event add column batch_size int, add column batch bytea;
alter table outbox_event alter column batch set storage external;
