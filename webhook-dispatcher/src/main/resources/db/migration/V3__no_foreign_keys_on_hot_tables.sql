-- A delivery row is written per message and subscribed endpoint, an attempt row per try: the
-- foreign-key checks (a lookup and a row lock on the message and the endpoint per delivery, on the
-- delivery per attempt) made a delivery insert cost 0.13 ms of PostgreSQL CPU, the largest share
-- of a delivery's cost, and the part a slow endpoint's backlog adds to every event. Deliveries are
-- created with their message (intake) or for an existing one (redeliver, replay), and removed
-- explicitly with their endpoint (EndpointService.delete, which locks the endpoint against a
-- concurrent intake first) or their message (DeliveryWorker.purgeMessages); a claim skips a
-- delivery whose message is gone.
alter table delivery drop constraint if exists delivery_message_id_fkey;
alter table delivery drop constraint if exists delivery_endpoint_id_fkey;
alter table attempt drop constraint if exists attempt_delivery_id_fkey;
