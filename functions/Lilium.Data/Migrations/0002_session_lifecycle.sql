-- 0002: session lifecycle (issue 23). A host whose last signaling connection closed is "away" from that moment; the
-- sweeper ends sessions whose host stayed away longer than the grace period. end_reason says why a session ended.
ALTER TABLE sessions ADD COLUMN host_away_since timestamptz;
ALTER TABLE sessions ADD COLUMN end_reason text CHECK (end_reason IN ('host', 'host-gone', 'publisher-gone', 'stale'));
CREATE INDEX sessions_host_away ON sessions (host_away_since) WHERE state = 'active' AND host_away_since IS NOT NULL;
CREATE INDEX invites_expires_at ON invites (expires_at);
CREATE INDEX refresh_families_rotated_at ON refresh_families (rotated_at);

-- What the media relays must undo, written in the same transaction as the act that causes it (kick, leave, block,
-- unfriend, grant change, session end, login revoked). Every relay task polls rows newer than its last poll (a time
-- window, de-duplicated by seq, so a transaction that commits after a later seq is still seen); the sweeper deletes
-- rows older than the longest relay grant.
CREATE TABLE revocations (
    seq         bigserial   PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('session-ended', 'removed', 'permissions', 'user-revoked')),
    session_id  uuid,
    host_id     uuid,
    user_id     uuid,
    permissions integer,
    created_at  timestamptz NOT NULL
);
CREATE INDEX revocations_created_at ON revocations (created_at);
