-- The clinical model: patients, providers and their availability, appointments, care assignments,
-- supporter grants, questionnaires, symptoms, HRT medications and doses, clinical notes.
-- Instants are timestamptz (UTC); recurring times are local `time` plus an IANA zone id.

-- uuid equality inside a GiST exclusion constraint (no double booking of a provider).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE patients (
    id                      uuid        PRIMARY KEY,
    -- The OIDC subject of the patient's own login; null until the patient signs in for the first time.
    subject                 text        UNIQUE,
    given_name              text        NOT NULL CHECK (length(given_name) BETWEEN 1 AND 200),
    family_name             text        NOT NULL CHECK (length(family_name) BETWEEN 1 AND 200),
    date_of_birth           date        NOT NULL,
    email                   text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    time_zone               text        NOT NULL,
    email_reminders_consent boolean     NOT NULL DEFAULT false,
    reminder_lead_minutes   integer[]   NOT NULL DEFAULT '{1440,60}',
    quiet_hours_start       time,
    quiet_hours_end         time,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
);
CREATE INDEX patients_by_family_name ON patients (family_name, id);

CREATE TABLE providers (
    id           uuid        PRIMARY KEY,
    subject      text        NOT NULL UNIQUE,
    display_name text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email        text        NOT NULL,
    time_zone    text        NOT NULL,
    slot_minutes integer     NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 240),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

-- Weekly working hours in the provider's zone. day_of_week: 1 = Monday .. 7 = Sunday (ISO).
CREATE TABLE provider_working_hours (
    provider_id uuid     NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    day_of_week smallint NOT NULL CHECK (day_of_week BETWEEN 1 AND 7),
    start_time  time     NOT NULL,
    end_time    time     NOT NULL CHECK (end_time > start_time),
    PRIMARY KEY (provider_id, day_of_week, start_time)
);

-- Time off on one local date: the whole day when start_time and end_time are null.
CREATE TABLE provider_time_off (
    id          uuid PRIMARY KEY,
    provider_id uuid NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    on_date     date NOT NULL,
    start_time  time,
    end_time    time,
    CHECK ((start_time IS NULL) = (end_time IS NULL)),
    CHECK (end_time IS NULL OR end_time > start_time)
);
CREATE INDEX provider_time_off_by_date ON provider_time_off (provider_id, on_date);

CREATE TABLE appointments (
    id            uuid        PRIMARY KEY,
    patient_id    uuid        NOT NULL REFERENCES patients (id),
    provider_id   uuid        NOT NULL REFERENCES providers (id),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- The zone the appointment was booked in (the provider's), to show it as it was agreed.
    time_zone     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    cancel_reason text,
    cancelled_at  timestamptz,
    booked_by     text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL)),
    -- No provider is ever booked twice at once, however many requests race: PostgreSQL decides.
    CONSTRAINT appointments_no_double_booking
        EXCLUDE USING gist (provider_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'booked')
);
CREATE INDEX appointments_by_patient ON appointments (patient_id, starts_at, id);
CREATE INDEX appointments_by_provider ON appointments (provider_id, starts_at, id);

-- Which providers may see a patient: created by booking or by an admin.
CREATE TABLE care_assignments (
    provider_id uuid        NOT NULL REFERENCES providers (id),
    patient_id  uuid        NOT NULL REFERENCES patients (id),
    source      text        NOT NULL CHECK (source IN ('booking', 'registration', 'admin')),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (patient_id, provider_id)
);
CREATE INDEX care_assignments_by_provider ON care_assignments (provider_id, patient_id);

-- What a patient lets a supporter (a partner, a carer) read, until when.
CREATE TABLE supporter_grants (
    id                 uuid        PRIMARY KEY,
    patient_id         uuid        NOT NULL REFERENCES patients (id),
    supporter_subject  text        NOT NULL,
    scopes             text[]      NOT NULL CHECK (cardinality(scopes) > 0),
    expires_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    revoked_at         timestamptz
);
CREATE INDEX supporter_grants_by_supporter ON supporter_grants (supporter_subject, patient_id);
CREATE INDEX supporter_grants_by_patient ON supporter_grants (patient_id, created_at, id);

CREATE TABLE questionnaire_responses (
    id                 uuid        PRIMARY KEY,
    patient_id         uuid        NOT NULL REFERENCES patients (id),
    instrument         text        NOT NULL,
    instrument_version text        NOT NULL,
    answers            smallint[]  NOT NULL,
    scores             jsonb       NOT NULL,
    submitted_by       text        NOT NULL,
    submitted_at       timestamptz NOT NULL
);
CREATE INDEX questionnaire_responses_history ON questionnaire_responses (patient_id, instrument, submitted_at, id);

CREATE TABLE symptom_entries (
    id          uuid        PRIMARY KEY,
    patient_id  uuid        NOT NULL REFERENCES patients (id),
    code        text        NOT NULL,
    severity    smallint    NOT NULL CHECK (severity BETWEEN 0 AND 10),
    occurred_at timestamptz NOT NULL,
    note        text,
    recorded_by text        NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX symptom_entries_by_patient ON symptom_entries (patient_id, occurred_at, id);

CREATE TABLE medications (
    id             uuid        PRIMARY KEY,
    patient_id     uuid        NOT NULL REFERENCES patients (id),
    drug           text        NOT NULL CHECK (length(drug) BETWEEN 1 AND 200),
    dose           numeric     NOT NULL CHECK (dose > 0),
    unit           text        NOT NULL,
    route          text        NOT NULL,
    -- Local times of day and ISO days of week, in the patient's zone.
    schedule_times time[]      NOT NULL,
    schedule_days  smallint[]  NOT NULL,
    start_date     date        NOT NULL,
    stop_date      date,
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK (stop_date IS NULL OR stop_date >= start_date)
);
CREATE INDEX medications_by_patient ON medications (patient_id, created_at, id);

CREATE TABLE medication_doses (
    id            uuid        PRIMARY KEY,
    medication_id uuid        NOT NULL REFERENCES medications (id),
    patient_id    uuid        NOT NULL REFERENCES patients (id),
    status        text        NOT NULL CHECK (status IN ('taken', 'skipped')),
    taken_at      timestamptz NOT NULL,
    scheduled_for timestamptz,
    recorded_by   text        NOT NULL,
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX medication_doses_by_medication ON medication_doses (medication_id, taken_at, id);

CREATE TABLE clinical_notes (
    id                  uuid        PRIMARY KEY,
    patient_id          uuid        NOT NULL REFERENCES patients (id),
    author_subject      text        NOT NULL,
    current_version     integer     NOT NULL,
    content             text        NOT NULL,
    shared_with_patient boolean     NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    deleted_at          timestamptz,
    deleted_by          text,
    deleted_reason      text,
    CHECK ((deleted_at IS NULL) = (deleted_reason IS NULL))
);
CREATE INDEX clinical_notes_by_patient ON clinical_notes (patient_id, created_at, id);

-- Every version of every note, the first included: nothing a provider wrote is ever lost.
CREATE TABLE clinical_note_versions (
    note_id             uuid        NOT NULL REFERENCES clinical_notes (id),
    version             integer     NOT NULL,
    content             text        NOT NULL,
    shared_with_patient boolean     NOT NULL,
    edited_by           text        NOT NULL,
    edited_at           timestamptz NOT NULL,
    PRIMARY KEY (note_id, version)
);

-- Creates replayed by Idempotency-Key: the first result is kept and returned again.
CREATE TABLE idempotency_records (
    subject       text        NOT NULL,
    key           text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  text        NOT NULL,
    status_code   integer,
    location      text,
    response_body text,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (subject, key)
);
