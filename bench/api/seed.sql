-- bench/api seed: 10,000 patients, 200 providers, 200,000 appointments, 1,000,000 symptom entries.
-- Patients are bench-patient-N, providers bench-provider-N (the subjects the benchmark's tokens carry).
\set ON_ERROR_STOP on
BEGIN;
INSERT INTO providers (id, subject, display_name, email, time_zone, slot_minutes, created_at, updated_at)
SELECT gen_random_uuid(), 'bench-provider-' || g, 'Dr Bench ' || g, 'provider' || g || '@bench.test', 'UTC', 30, now(), now()
FROM generate_series(1, 200) AS g;

INSERT INTO provider_working_hours (provider_id, day_of_week, start_time, end_time)
SELECT p.id, d, '08:00', '18:00' FROM providers p CROSS JOIN generate_series(1, 7) AS d WHERE p.subject LIKE 'bench-provider-%';

INSERT INTO patients (id, subject, given_name, family_name, date_of_birth, email, time_zone, email_reminders_consent, created_at, updated_at)
SELECT gen_random_uuid(), 'bench-patient-' || g, 'Given' || g, 'Family' || g, date '1965-01-01' + (g % 4000), 'patient' || g || '@bench.test',
       (ARRAY['Europe/London', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'])[1 + g % 4], g % 3 = 0, now(), now()
FROM generate_series(1, 10000) AS g;

-- 1,000 appointments per provider: two a day (09:00 and 14:00 UTC) for 500 days around today, each with a
-- patient; a provider's appointments never overlap, as the exclusion constraint demands.
CREATE TEMP TABLE bench_patients AS SELECT row_number() OVER (ORDER BY subject) AS n, id FROM patients WHERE subject LIKE 'bench-patient-%';
CREATE TEMP TABLE bench_providers AS SELECT row_number() OVER (ORDER BY subject) AS n, id FROM providers WHERE subject LIKE 'bench-provider-%';
INSERT INTO appointments (id, patient_id, provider_id, starts_at, ends_at, time_zone, status, booked_by, created_at, updated_at)
SELECT gen_random_uuid(), pa.id, pr.id, s, s + interval '30 minutes', 'UTC', 'booked', 'bench', now(), now()
FROM bench_providers pr
CROSS JOIN generate_series(0, 999) AS k
CROSS JOIN LATERAL (SELECT date_trunc('day', now()) + ((k / 2) - 250) * interval '1 day' + CASE WHEN k % 2 = 0 THEN interval '9 hours' ELSE interval '14 hours' END AS s) AS slot
JOIN bench_patients pa ON pa.n = 1 + ((pr.n * 7919 + k * 104729) % 10000);

INSERT INTO care_assignments (provider_id, patient_id, source, created_by, created_at)
SELECT DISTINCT provider_id, patient_id, 'booking', 'bench', now() FROM appointments WHERE booked_by = 'bench'
ON CONFLICT DO NOTHING;

INSERT INTO symptom_entries (id, patient_id, code, severity, occurred_at, note, recorded_by, recorded_at)
SELECT gen_random_uuid(), pa.id, (ARRAY['hot_flush', 'night_sweat', 'sleep_disturbance', 'mood', 'brain_fog', 'joint_pain'])[1 + (k % 6)],
       (k * 7) % 11, now() - (k * interval '87 minutes'), NULL, 'bench', now()
FROM bench_patients pa CROSS JOIN generate_series(1, 100) AS k;
COMMIT;
ANALYZE;
