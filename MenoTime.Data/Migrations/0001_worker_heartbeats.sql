-- Each worker instance records that it is alive. The API's status endpoint and operators read it to see
-- which workers run and whether they keep up; a row not refreshed for minutes is a worker that died.
CREATE TABLE worker_heartbeats (
    instance_id  text        PRIMARY KEY,
    service_name text        NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
