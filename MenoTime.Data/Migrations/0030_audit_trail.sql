-- HIPAA 164.312(b) audit controls and (c) integrity: an append-only, hash-chained audit trail, and the
-- application's own database role, which may add audit rows but never change or remove them.

-- The role the API and the worker log in as (locally the AppHost gives it a password; in AWS it uses IAM
-- authentication). Migrations run as the owner. Roles belong to the cluster, so this may exist already.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'menotime_app') THEN
        CREATE ROLE menotime_app;
    END IF;
END
$$;

-- Audit rows are spread over 16 chains so that requests on different connections do not queue behind
-- one lock; within a chain every row's hash covers the previous row's hash and its own fields.
CREATE TABLE audit_chain_heads (
    chain     smallint PRIMARY KEY,
    last_seq  bigint   NOT NULL,
    last_hash bytea    NOT NULL
);
INSERT INTO audit_chain_heads (chain, last_seq, last_hash)
SELECT g, 0, sha256(convert_to('menotime audit chain ' || g, 'UTF8')) FROM generate_series(0, 15) AS g;

CREATE TABLE audit_events (
    id            uuid        NOT NULL UNIQUE,
    chain         smallint    NOT NULL,
    seq           bigint      NOT NULL,
    occurred_at   timestamptz NOT NULL,
    subject       text,
    role          text,
    session_id    text,
    action        text        NOT NULL CHECK (action IN ('create', 'read', 'update', 'delete', 'search', 'export', 'login-failure', 'logout')),
    resource_type text        NOT NULL,
    resource_id   text,
    patient_id    uuid,
    status        smallint    NOT NULL,
    client_ip     text,
    user_agent    text,
    trace_id      text,
    break_glass   boolean     NOT NULL DEFAULT false,
    prev_hash     bytea       NOT NULL,
    hash          bytea       NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_events_by_time ON audit_events (occurred_at, id);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id, occurred_at, id) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_events_by_subject ON audit_events (subject, occurred_at, id);

-- The canonical text a row's hash covers. Every field is length-prefixed, so no value can imitate a
-- separator; AuditChainVerifier computes the same text independently in C#.
CREATE FUNCTION audit_canonical(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws('|',
        e.chain, e.seq, e.id,
        (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
        length(coalesce(e.subject, '')) || ':' || coalesce(e.subject, ''),
        length(coalesce(e.role, '')) || ':' || coalesce(e.role, ''),
        length(coalesce(e.session_id, '')) || ':' || coalesce(e.session_id, ''),
        e.action,
        length(e.resource_type) || ':' || e.resource_type,
        length(coalesce(e.resource_id, '')) || ':' || coalesce(e.resource_id, ''),
        coalesce(e.patient_id::text, ''),
        e.status,
        length(coalesce(e.client_ip, '')) || ':' || coalesce(e.client_ip, ''),
        length(coalesce(e.user_agent, '')) || ':' || coalesce(e.user_agent, ''),
        length(coalesce(e.trace_id, '')) || ':' || coalesce(e.trace_id, ''),
        CASE WHEN e.break_glass THEN 't' ELSE 'f' END)
$$;

-- Places each new row on a chain (by backend, so one connection's rows stay in order) and seals it.
-- The head row's lock orders concurrent inserts on one chain; it is held until the inserting
-- transaction ends, so a rolled-back insert leaves no gap.
CREATE FUNCTION audit_seal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    head audit_chain_heads;
BEGIN
    NEW.chain := pg_backend_pid() % 16;
    SELECT * INTO head FROM audit_chain_heads WHERE chain = NEW.chain FOR UPDATE;
    NEW.seq := head.last_seq + 1;
    NEW.prev_hash := head.last_hash;
    NEW.hash := sha256(NEW.prev_hash || convert_to(audit_canonical(NEW), 'UTF8'));
    UPDATE audit_chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash WHERE chain = NEW.chain;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_seal BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_seal();

-- Append-only, whoever asks: the grants below already refuse the application; this refuses the owner too.
CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- HIPAA 164.312(a)(2)(iii) automatic logoff: server-side sessions, one per sign-in (the token's origin_jti).
CREATE TABLE sessions (
    session_id   text        PRIMARY KEY,
    subject      text        NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz,
    end_reason   text CHECK (end_reason IN ('logout', 'idle'))
);

-- Emergency access: a provider opens a patient they are not assigned to, for a stated reason, for an hour.
CREATE TABLE break_glass_grants (
    id          uuid        PRIMARY KEY,
    provider_id uuid        NOT NULL REFERENCES providers (id),
    patient_id  uuid        NOT NULL REFERENCES patients (id),
    reason      text        NOT NULL CHECK (length(reason) BETWEEN 10 AND 1000),
    granted_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX break_glass_grants_active ON break_glass_grants (provider_id, patient_id, expires_at);

-- Least privilege for the application role: data, yes; schema history and audit internals, read only;
-- audit rows, insert and read only.
GRANT USAGE ON SCHEMA public TO menotime_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO menotime_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM menotime_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_heads FROM menotime_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM menotime_app;
-- Tables later migrations create are the application's to use, unless a migration says otherwise.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO menotime_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO menotime_app;
