-- What a node holds is released as soon as the cluster finds the node dead (its heartbeat in nodes
-- older than pollster.cluster.dead-after): its queue tasks and its deliveries. A delivery's lease
-- is a token per claim, so the claiming node is recorded beside it; it is meaningful only while
-- the lease is set. Both indexes hold only what is claimed right now, so they stay small.
ALTER TABLE deliveries ADD COLUMN leased_by TEXT;

CREATE INDEX deliveries_leased_by ON deliveries (leased_by) WHERE lease IS NOT NULL;
CREATE INDEX queue_tasks_leased_by ON queue_tasks (leased_by) WHERE leased_by IS NOT NULL;
