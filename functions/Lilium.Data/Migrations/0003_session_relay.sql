-- 0003: the relay fleet (issue 24). relay_id is the relay task that owns the session's media (its registry id), set
-- at placement and changed when the session is moved off a dead or draining relay; NULL while no relay is live (the
-- session waits for one to start) and in single-relay setups, which place nothing. relay_told is what the members
-- were last told by session.relay ('' = "starting", else a relay id), so whoever places a session (API or sweeper),
-- the sweeper tells the members exactly once per change.
ALTER TABLE sessions ADD COLUMN relay_id text;
ALTER TABLE sessions ADD COLUMN relay_told text;
CREATE INDEX sessions_active_relay ON sessions (relay_id) WHERE state = 'active';
