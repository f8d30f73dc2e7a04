-- The inbox is pruned by age (InboxPruner). A BRIN index finds the old rows of this append-only
-- table for a few pages of index, and costs an insert nothing until it is summarized (a b-tree on
-- processed_at would add a third index entry to every consumed event).
create index processed_event_processed_at on processed_event using brin (processed_at);
