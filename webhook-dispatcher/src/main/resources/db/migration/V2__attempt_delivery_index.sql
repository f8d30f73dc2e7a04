-- Removing a delivery (its endpoint deleted, its message past retention) removes its attempts:
-- without this index each of those cascades scans the whole attempt table.
create index attempt_delivery on attempt (delivery_id);
