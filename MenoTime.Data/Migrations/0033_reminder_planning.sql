-- The reminder planner (MenoTime.Worker/Planning): one worker replica at a time turns appointments and dose
-- schedules into outbox rows. It remembers how far it has read the changes (updated_at of patients, appointments
-- and medications) and up to when it has planned (the rolling horizon), so each round reads only what changed.
CREATE TABLE reminder_planner_state (
    id                 smallint    PRIMARY KEY CHECK (id = 1),
    -- Changes with updated_at up to this are planned: the last round's start minus an overlap, because updated_at
    -- is taken before commit and a change stamped before the round may commit after its scan.
    changes_seen_until timestamptz NOT NULL,
    -- Every reminder planned for before this instant is in the outbox; null before the first round.
    horizon_end        timestamptz,
    last_round_at      timestamptz,                      -- the last round's start (services' clock)
    last_round_by      text
);
INSERT INTO reminder_planner_state (id, changes_seen_until) VALUES (1, '1970-01-01T00:00:00Z');

-- What changed since the last round.
CREATE INDEX patients_by_updated_at ON patients (updated_at);
CREATE INDEX appointments_by_updated_at ON appointments (updated_at);
CREATE INDEX medications_by_updated_at ON medications (updated_at);
-- Appointments entering the horizon as it rolls forward.
CREATE INDEX appointments_booked_by_start ON appointments (starts_at) WHERE status = 'booked';
-- GET /api/v1/notifications without patientId (admins): every patient's, newest first.
CREATE INDEX notifications_by_created ON notifications (created_at, id);
