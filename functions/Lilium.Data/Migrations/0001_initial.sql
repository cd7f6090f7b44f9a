-- 0001: the control plane's system of record (issue 2).
-- Times are timestamptz in UTC. Enumerations are text with CHECK constraints, so readers need no type mapping.

CREATE TABLE users (
    id              uuid        PRIMARY KEY,
    -- SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) DER of an ECDSA P-256 key, as re-exported by the server.
    public_key      bytea       NOT NULL UNIQUE CHECK (octet_length(public_key) BETWEEN 32 AND 256),
    -- Lower-case hex SHA-256 of public_key.
    key_fingerprint text        NOT NULL UNIQUE CHECK (key_fingerprint ~ '^[0-9a-f]{64}$'),
    nickname        text        NOT NULL CHECK (char_length(nickname) BETWEEN 1 AND 32),
    created_at      timestamptz NOT NULL
);
CREATE INDEX users_nickname_prefix ON users (lower(nickname) text_pattern_ops);

-- Login nonces: single use (deleted when consumed), short-lived.
CREATE TABLE auth_challenges (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nonce      bytea       NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX auth_challenges_expires_at ON auth_challenges (expires_at);

-- One row per login. Only the newest refresh token of a family is valid; presenting an older one
-- (a replay) revokes the whole family.
CREATE TABLE refresh_families (
    id               uuid        PRIMARY KEY,
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    current_token_id text        NOT NULL,
    created_at       timestamptz NOT NULL,
    rotated_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    revoke_reason    text
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- One row per unordered pair; requester is who asked (or who blocked).
CREATE TABLE friendships (
    requester_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    addressee_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       text        NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'blocked')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (requester_id, addressee_id),
    CHECK (requester_id <> addressee_id)
);
CREATE UNIQUE INDEX friendships_unordered_pair
    ON friendships (LEAST(requester_id, addressee_id), GREATEST(requester_id, addressee_id));
CREATE INDEX friendships_addressee ON friendships (addressee_id);

-- What a host (granter) lets a friend (grantee) do in the host's sessions.
CREATE TABLE friend_grants (
    granter_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grantee_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    keyboard   boolean     NOT NULL DEFAULT false,
    mouse      boolean     NOT NULL DEFAULT false,
    controller boolean     NOT NULL DEFAULT false,
    immersion  boolean     NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (granter_id, grantee_id),
    CHECK (granter_id <> grantee_id)
);

CREATE TABLE sessions (
    id          uuid        PRIMARY KEY,
    host_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state       text        NOT NULL CHECK (state IN ('active', 'ended')),
    max_viewers integer     NOT NULL CHECK (max_viewers BETWEEN 1 AND 64),
    created_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    CHECK ((state = 'ended') = (ended_at IS NOT NULL))
);
CREATE INDEX sessions_host_active ON sessions (host_id) WHERE state = 'active';

CREATE TABLE session_participants (
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('host', 'viewer')),
    joined_at  timestamptz NOT NULL,
    left_at    timestamptz,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX session_participants_user ON session_participants (user_id);

-- An invite names a session; only the SHA-256 of its code is stored.
CREATE TABLE invites (
    id         uuid        PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_by uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL UNIQUE CHECK (octet_length(code_hash) = 32),
    expires_at timestamptz NOT NULL,
    max_uses   integer     NOT NULL CHECK (max_uses BETWEEN 1 AND 1000),
    uses       integer     NOT NULL DEFAULT 0 CHECK (uses BETWEEN 0 AND max_uses),
    created_at timestamptz NOT NULL
);
CREATE INDEX invites_session ON invites (session_id);
