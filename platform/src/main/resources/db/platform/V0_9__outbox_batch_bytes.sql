-- A batch row's events before compression, in bytes: a relay claim is bounded by the payload bytes
-- it will hold (dsync.outbox.claim-bytes), and the stored batch is compressed, a few times smaller.
-- Rows written before this version have none; a claim then counts their stored size.
alter table outbox_event add column batch_bytes int;
