#!/usr/bin/env bash
# ./crm bench contacts: the contacts API on 100,000 contacts with profiles, against PostgreSQL
# itself running the same SQL.
#
#   wrk, 64 connections, BENCH_SECONDS (10) each: first list page, a deep cursor page (row
#   90,000), get by id (cycling over all 100,000 ids), search `q`, create (unique e-mails).
#   pgbench -M prepared, 16 and 64 clients: the repository's SQL for get by id and the list
#   (BENCH_SECONDS each), and for the deep page and the search (BENCH_EXTRA_SECONDS, 5, each).
#
# Targets: p99 < 20 ms on every endpoint; get by id and list >= 60 % of pgbench's better run.
#
# BENCH_ONLY="get list" measures only those endpoints (list deep get search create);
# BENCH_SERVER_SETTINGS="CRM_WORKER_THREADS=8" adds server settings;
# BENCH_PERF=get records the server with `perf` during that endpoint's run and writes the
# report to .crm/logs/bench-contacts-perf.txt.
# The data lives in the organisation "Bench Contacts" of the development database and is loaded
# once (set-based SQL); contacts made by the create run are removed at the end.
. "$(dirname "$0")/lib.sh"

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
EXTRA_SECONDS="${BENCH_EXTRA_SECONDS:-5}"
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
DB="${CRM_DATABASE_URL:?CRM_DATABASE_URL is not set: run ./crm bench contacts}"
ROWS=100000
ORG_NAME="Bench Contacts"
EMAIL="contacts.bench@bench.example"
PASSWORD="bench passphrase that is long enough"
SEARCH_TERM="lindqvist"   # one of 500 last names: about 200 matching contacts
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

psql_q() { psql "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }

# ------------------------------------------------------------------------------------------
# The repository's SQL, verbatim (tests/unit/contacts_test.cpp checks that it still is).
# $1 is the organisation, then the parameters in order, as src/contacts/repository.cpp runs them.

# GET /api/contacts/{id}: $1 org, $2 id.
GET_SQL=$(cat <<'SQL'
SELECT c.id, c.org_id, c.first_name, c.last_name, c.email, c.emails::text, c.phone, c.phones::text,
       c.city, c.country, c.linkedin_url, c.owner_id, c.source, array_to_json(c.tags)::text,
       c.marketing_consent, c.consent_updated_at AT TIME ZONE 'UTC', c.consent_source, c.lawful_basis,
       c.do_not_contact, c.anonymized_at AT TIME ZONE 'UTC', c.retention_until::text,
       c.last_activity_at AT TIME ZONE 'UTC', c.merged_into_id, c.created_at AT TIME ZONE 'UTC',
       c.updated_at AT TIME ZONE 'UTC', c.created_by, c.version, c.deleted_at AT TIME ZONE 'UTC',
       (SELECT coalesce(json_agg(x ORDER BY x.is_primary DESC, x.created_at, x.id), '[]')::text
        FROM (SELECT s.id, s.contact_id, s.client_id, s.company_name, s.title, s.department,
                     s.decision_role, s.budget::text AS budget, s.currency, s.lead_status, s.lead_score,
                     s.is_primary, s.notes, s.created_at AT TIME ZONE 'UTC' AS created_at,
                     s.updated_at AT TIME ZONE 'UTC' AS updated_at, s.created_by, s.version,
                     s.deleted_at AT TIME ZONE 'UTC' AS deleted_at
              FROM sales_profiles s
              WHERE s.org_id = c.org_id AND s.contact_id = c.id AND s.deleted_at IS NULL) x),
       (SELECT coalesce(json_agg(x ORDER BY x.is_primary DESC, x.created_at, x.id), '[]')::text
        FROM (SELECT p.id, p.contact_id, p.headline, p.summary, p.skills, p.skill_names,
                     p.years_experience::text AS years_experience, p.seniority,
                     p.current_salary::text AS current_salary,
                     p.desired_salary_min::text AS desired_salary_min,
                     p.desired_salary_max::text AS desired_salary_max, p.currency, p.desired_locations,
                     p.remote_preference, p.available_from::text AS available_from, p.notice_period_days,
                     p.work_authorization, p.current_employer, p.current_title, p.is_primary,
                     p.embedded_at AT TIME ZONE 'UTC' AS embedded_at,
                     p.created_at AT TIME ZONE 'UTC' AS created_at,
                     p.updated_at AT TIME ZONE 'UTC' AS updated_at, p.created_by, p.version,
                     p.deleted_at AT TIME ZONE 'UTC' AS deleted_at
              FROM candidate_profiles p
              WHERE p.org_id = c.org_id AND p.contact_id = c.id AND p.deleted_at IS NULL) x)
FROM contacts c WHERE c.org_id = $1 AND c.id = $2 AND c.deleted_at IS NULL
SQL
)

# GET /api/contacts (first page, 50 rows and one to tell whether more follow): $1 org.
LIST_SQL=$(cat <<'SQL'
SELECT c.id, c.org_id, c.first_name, c.last_name, c.email, c.emails::text, c.phone, c.phones::text,
       c.city, c.country, c.linkedin_url, c.owner_id, c.source, array_to_json(c.tags)::text,
       c.marketing_consent, c.consent_updated_at AT TIME ZONE 'UTC', c.consent_source, c.lawful_basis,
       c.do_not_contact, c.anonymized_at AT TIME ZONE 'UTC', c.retention_until::text,
       c.last_activity_at AT TIME ZONE 'UTC', c.merged_into_id, c.created_at AT TIME ZONE 'UTC',
       c.updated_at AT TIME ZONE 'UTC', c.created_by, c.version, c.deleted_at AT TIME ZONE 'UTC',
       c.has_sales_profile, c.has_candidate_profile
FROM contacts c WHERE c.org_id = (SELECT $1::uuid) AND c.deleted_at IS NULL
ORDER BY c.created_at DESC, c.id DESC LIMIT 51
SQL
)

# GET /api/contacts?cursor=...: $1 org, $2 and $3 the cursor's created_at and id.
DEEP_SQL=$(cat <<'SQL'
SELECT c.id, c.org_id, c.first_name, c.last_name, c.email, c.emails::text, c.phone, c.phones::text,
       c.city, c.country, c.linkedin_url, c.owner_id, c.source, array_to_json(c.tags)::text,
       c.marketing_consent, c.consent_updated_at AT TIME ZONE 'UTC', c.consent_source, c.lawful_basis,
       c.do_not_contact, c.anonymized_at AT TIME ZONE 'UTC', c.retention_until::text,
       c.last_activity_at AT TIME ZONE 'UTC', c.merged_into_id, c.created_at AT TIME ZONE 'UTC',
       c.updated_at AT TIME ZONE 'UTC', c.created_by, c.version, c.deleted_at AT TIME ZONE 'UTC',
       c.has_sales_profile, c.has_candidate_profile
FROM contacts c WHERE c.org_id = (SELECT $1::uuid) AND c.deleted_at IS NULL
  AND (c.created_at, c.id) < ((SELECT $2::timestamptz), (SELECT $3::uuid))
ORDER BY c.created_at DESC, c.id DESC LIMIT 51
SQL
)

# GET /api/contacts?q=...: $1 org, $2 the text searched in search_text, $3 in company names.
# The first query of every search (ListPlan::FewMatches), and the last for this one: its 200
# matches are fewer than 2,000.
SEARCH_SQL=$(cat <<'SQL'
SELECT * FROM ((SELECT c.id, c.org_id, c.first_name, c.last_name, c.email, c.emails::text, c.phone, c.phones::text,
       c.city, c.country, c.linkedin_url, c.owner_id, c.source, array_to_json(c.tags)::text,
       c.marketing_consent, c.consent_updated_at AT TIME ZONE 'UTC', c.consent_source, c.lawful_basis,
       c.do_not_contact, c.anonymized_at AT TIME ZONE 'UTC', c.retention_until::text,
       c.last_activity_at AT TIME ZONE 'UTC', c.merged_into_id, c.created_at AT TIME ZONE 'UTC',
       c.updated_at AT TIME ZONE 'UTC', c.created_by, c.version, c.deleted_at AT TIME ZONE 'UTC',
       c.has_sales_profile, c.has_candidate_profile, c.created_at AS page_key,
       row_number() OVER () AS match_number
FROM contacts c WHERE c.org_id = $1 AND c.deleted_at IS NULL
  AND (c.search_text LIKE '%' || crm_like_literal(crm_fold($2)) || '%' OR c.id = ANY (ARRAY(SELECT sp.contact_id FROM sales_profiles sp
       WHERE sp.org_id = $1 AND sp.deleted_at IS NULL AND crm_fold(sp.company_name) LIKE '%' || crm_like_literal(crm_fold($3)) || '%'
       UNION ALL SELECT cp.contact_id FROM candidate_profiles cp
       WHERE cp.org_id = $1 AND cp.deleted_at IS NULL AND crm_fold(cp.current_employer) LIKE '%' || crm_like_literal(crm_fold($3)) || '%'
       UNION ALL SELECT x.contact_id FROM clients cl CROSS JOIN LATERAL (SELECT sp.contact_id
         FROM sales_profiles sp WHERE sp.org_id = cl.org_id
           AND sp.client_id = cl.id AND sp.deleted_at IS NULL
         UNION ALL SELECT cc.contact_id FROM client_contacts cc WHERE cc.org_id = cl.org_id
           AND cc.client_id = cl.id AND (cc.start_date IS NULL OR cc.start_date <= current_date)
           AND (cc.end_date IS NULL OR cc.end_date >= current_date)) x
       WHERE cl.org_id = $1 AND cl.deleted_at IS NULL AND crm_fold(cl.name) LIKE '%' || crm_like_literal(crm_fold($3)) || '%')))
LIMIT 2001)) page ORDER BY page.match_number > 2000 DESC, page.page_key DESC, page.id DESC LIMIT 51
SQL
)

# ------------------------------------------------------------------------------------------
# Organisation, user and data

"$CRM_BENCH_SERVER" create-admin --email "$EMAIL" --password "$PASSWORD" --name "Contacts Bench" \
  --organization "$ORG_NAME" >/dev/null
ORG=$(psql_q -tAc "SELECT id FROM organizations WHERE name = '$ORG_NAME' ORDER BY created_at LIMIT 1")
SLUG=$(psql_q -tAc "SELECT slug FROM organizations WHERE id = '$ORG'")
OWNER=$(psql_q -tAc "SELECT id FROM users WHERE org_id = '$ORG' AND email = '$EMAIL'")
LAST_ID=$(printf '00000000-0000-7000-8b00-%012x' "$ROWS")

# Leftovers of an interrupted create run. The vacuum matters: the deleted rows are the newest,
# so until it runs every first page would step over their dead index entries.
psql_q -c "DELETE FROM contacts WHERE org_id = '$ORG' AND email LIKE 'create-%@bench.example'"
psql_q -c "VACUUM ANALYZE contacts" >/dev/null

if [ -z "$(psql_q -tAc "SELECT 1 FROM contacts WHERE org_id = '$ORG' AND id = '$LAST_ID'")" ]; then
  echo "loading $ROWS contacts with profiles into \"$ORG_NAME\" (once)..."
  start=$(date +%s)
  psql_q -v org="$ORG" -v owner="$OWNER" -v rows="$ROWS" <<'LOAD'
BEGIN;
DELETE FROM contacts WHERE org_id = :'org';
-- The profile flags are set by the contact insert below: the per-row triggers that keep them
-- would run one UPDATE per profile, planned while the table still looked empty (a scan of
-- contacts each: minutes instead of seconds). Disabled for this transaction only.
ALTER TABLE sales_profiles DISABLE TRIGGER sales_profiles_contact_flag;
ALTER TABLE candidate_profiles DISABLE TRIGGER candidate_profiles_contact_flag;
-- Contact n: id ...8b00-<n in hex>, created n * 31 s ago; 40 first names x 500 last names
-- (25 stems x 20 endings, about 200 contacts each); every tenth is tagged vip.
INSERT INTO contacts (id, org_id, first_name, last_name, email, phone, city, country, owner_id,
                      source, tags, marketing_consent, consent_updated_at, lawful_basis,
                      has_sales_profile, has_candidate_profile, created_at, updated_at, created_by)
SELECT ('00000000-0000-7000-8b00-' || lpad(to_hex(g), 12, '0'))::uuid, :'org',
       (ARRAY['Ada', 'Ben', 'Cleo', 'Dev', 'Ella', 'Finn', 'Gia', 'Hugo', 'Iris', 'Jon', 'Kara', 'Leo',
              'Mia', 'Nils', 'Olga', 'Piet', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Udo', 'Vera', 'Wim',
              'Xena', 'Yuri', 'Zoe', 'Anil', 'Bea', 'Carl', 'Dana', 'Emil', 'Fay', 'Gus', 'Hana',
              'Ivo', 'Jana', 'Kai', 'Lena', 'Marc', 'Nora'])[1 + g % 40],
       (ARRAY['Al', 'Berg', 'Carl', 'Dahl', 'Eng', 'Falk', 'Gran', 'Hall', 'Is', 'Jo', 'Karl',
              'Lind', 'Malm', 'Nord', 'Ol', 'Pet', 'Ring', 'Sand', 'Tor', 'Ulf', 'Vall', 'West',
              'Ny', 'Ek', 'Sol'])[1 + (g / 40) % 25]
       || (ARRAY['son', 'berg', 'strom', 'qvist', 'gren', 'lund', 'man', 'holm', 'dal', 'stedt',
                 'blad', 'ling', 'sten', 'gard', 'ros', 'by', 'fors', 'vik', 'bom', 'ius'])[1 + (g / 1000) % 20],
       'bench' || g || '@bench.example',
       '+1212' || lpad(g::text, 7, '0'),
       (ARRAY['Berlin', 'Paris', 'London', 'Stockholm', 'Warsaw', 'New York', 'Toronto', 'Madrid'])[1 + g % 8],
       (ARRAY['DE', 'FR', 'GB', 'SE', 'PL', 'US', 'CA', 'ES'])[1 + g % 8],
       :'owner', 'import',
       CASE WHEN g % 10 = 0 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END,
       g % 4 <> 0, CASE WHEN g % 4 <> 0 THEN now() - g * interval '31 seconds' END,
       'legitimate_interest',
       g % 3 <> 0, g % 3 <> 1,
       now() - g * interval '31 seconds', now() - g * interval '31 seconds', :'owner'
FROM generate_series(1, :rows) AS g;
-- Two in three are buyers, two in three candidates: one in three is both.
INSERT INTO sales_profiles (org_id, contact_id, company_name, title, decision_role, budget, currency,
                            lead_status, lead_score, is_primary, created_at, updated_at, created_by)
SELECT :'org', ('00000000-0000-7000-8b00-' || lpad(to_hex(g), 12, '0'))::uuid,
       'Company ' || (g % 2000),
       (ARRAY['CTO', 'Head of Talent', 'VP Engineering', 'HR Director', 'CEO'])[1 + g % 5],
       (ARRAY['decision_maker', 'influencer', 'champion', 'user', 'gatekeeper'])[1 + g % 5],
       (10000 + g % 90000)::numeric(14,2), 'EUR',
       (ARRAY['new', 'contacted', 'qualified', 'nurturing', 'customer'])[1 + g % 5],
       g % 101, true,
       now() - g * interval '31 seconds', now() - g * interval '31 seconds', :'owner'
FROM generate_series(1, :rows) AS g WHERE g % 3 <> 0;
INSERT INTO candidate_profiles (org_id, contact_id, headline, skills, years_experience, seniority,
                                desired_salary_min, desired_salary_max, currency, desired_locations,
                                remote_preference, current_employer, current_title, is_primary,
                                created_at, updated_at, created_by)
SELECT :'org', ('00000000-0000-7000-8b00-' || lpad(to_hex(g), 12, '0'))::uuid,
       (ARRAY['Backend engineer', 'Data scientist', 'Product manager', 'Designer', 'SRE'])[1 + g % 5],
       jsonb_build_array(jsonb_build_object('name', (ARRAY['Go', 'Python', 'SQL', 'Figma', 'Rust'])[1 + g % 5], 'level', 1 + g % 5),
                         jsonb_build_object('name', (ARRAY['Kubernetes', 'Pandas', 'Roadmaps', 'UX', 'Linux'])[1 + g % 5], 'level', 3)),
       (g % 25)::numeric(4,1),
       (ARRAY['junior', 'mid', 'senior', 'lead', 'principal'])[1 + g % 5],
       (40000 + g % 40000)::numeric(14,2), (60000 + g % 40000)::numeric(14,2), 'EUR',
       ARRAY['Berlin', 'Remote'],
       (ARRAY['onsite', 'hybrid', 'remote', 'any'])[1 + g % 4],
       'Company ' || ((g * 7) % 2000), 'Engineer', true,
       now() - g * interval '31 seconds', now() - g * interval '31 seconds', :'owner'
FROM generate_series(1, :rows) AS g WHERE g % 3 <> 1;
ALTER TABLE sales_profiles ENABLE TRIGGER sales_profiles_contact_flag;
ALTER TABLE candidate_profiles ENABLE TRIGGER candidate_profiles_contact_flag;
COMMIT;
VACUUM ANALYZE contacts;
VACUUM ANALYZE sales_profiles;
VACUUM ANALYZE candidate_profiles;
LOAD
  echo "loaded in $(( $(date +%s) - start )) s"
fi

# The keys of row 90,000 of the default sort, for pgbench; the API's own (signed) cursor for
# the page after it is fetched below by walking the list.
read -r DEEP_TIME DEEP_ID < <(psql_q -tA -F ' ' -c "
  SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id
  FROM contacts WHERE org_id = '$ORG' AND deleted_at IS NULL
  ORDER BY created_at DESC, id DESC OFFSET 89999 LIMIT 1")

# ------------------------------------------------------------------------------------------
# The API under wrk

# BENCH_SERVER_SETTINGS="CRM_WORKER_THREADS=8 ..." passes extra settings to the server.
# shellcheck disable=SC2086
bench_start_server CRM_RATE_LIMIT_PER_MINUTE=1000000 CRM_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP=100000 \
  ${BENCH_SERVER_SETTINGS:-}
trap 'kill -TERM $BENCH_PID 2>/dev/null; wait $BENCH_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "crm-server on :$BENCH_PORT ($(nproc) cores, wrk and pgbench on the same machine)," \
  "${SECONDS_PER_RUN}s per run; organisation $SLUG, $ROWS contacts"
BASE="http://127.0.0.1:$BENCH_PORT"
body="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"organization\":\"$SLUG\"}"
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "$body" "$BASE/api/auth/login" |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$TOKEN" ] || { echo "login failed" >&2; exit 1; }
AUTH="Authorization: Bearer $TOKEN"

ONLY="${BENCH_ONLY:-list deep get search create}"

# Cursors are signed by the server: walk 450 pages of 200 to the one after row 90,000 (only
# when the deep page is measured; byte-wise grep, as a UTF-8 one spends seconds per page).
CURSOR=""
if [[ " $ONLY " == *" deep "* ]]; then
  for _ in $(seq 1 450); do
    CURSOR=$(curl -fsS -H "$AUTH" "$BASE/api/contacts?limit=200${CURSOR:+&cursor=$CURSOR}" |
      LC_ALL=C grep -o '"next_cursor":"[^"]*"' | cut -d'"' -f4)
    [ -n "$CURSOR" ] || { echo "walking the list to row 90,000 failed" >&2; exit 1; }
  done
fi

# Sanity: every endpoint answers 2xx before it is measured.
for path in "/api/contacts" ${CURSOR:+"/api/contacts?cursor=$CURSOR"} "/api/contacts/$LAST_ID" "/api/contacts?q=$SEARCH_TERM"; do
  status=$(curl -sS -o "$WORK/sanity" -w '%{http_code}' -H "$AUTH" "$BASE$path")
  [ "$status" = 200 ] || { echo "GET $path: $status $(cat "$WORK/sanity")" >&2; exit 1; }
done

cat >"$WORK/get.lua" <<'LUA'
-- Cycles over all 100,000 bench contacts (7919 is prime, so every id comes up).
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/api/contacts/00000000-0000-7000-8b00-%012x", (n * 7919) % 100000 + 1))
end
LUA
RUN_ID=$(date +%s)
cat >"$WORK/create.lua" <<LUA
-- Unique e-mails per thread and request, so no create is refused as a duplicate.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"first_name":"Bench","last_name":"Create","email":"create-$RUN_ID-%d-%d@bench.example","tags":["bench"]}', tid, n)
  return wrk.format("POST", "/api/contacts", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA

declare -A RPS P50 P99
measure() {  # measure <key> <label> <url> [wrk args...]
  local key="$1" label="$2" url="$3"
  shift 3
  [[ " $ONLY " == *" $key "* ]] || return 0
  local perf_pid=""
  if [ "${BENCH_PERF:-}" = "$key" ]; then
    perf record -q -g -p "$BENCH_PID" -o "$WORK/perf.data" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
    perf_pid=$!
  fi
  bench_wrk "$label" 64 "$SECONDS_PER_RUN" "$url" -H "$AUTH" "$@"
  RPS[$key]=$BENCH_RPS P50[$key]=$BENCH_P50 P99[$key]=$BENCH_P99
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -i "$WORK/perf.data" --stdio --no-children --percent-limit 0.7 2>/dev/null \
      >"$CRM_BENCH_STATE/logs/bench-contacts-perf.txt" || true
    echo "perf report: .crm/logs/bench-contacts-perf.txt"
  fi
}

bench_wrk "warm-up" 64 3 "$BASE/api/contacts/$LAST_ID" -H "$AUTH" -s "$WORK/get.lua" >/dev/null
measure list "GET /api/contacts (first page)" "$BASE/api/contacts"
measure deep "GET /api/contacts?cursor (row 90k)" "$BASE/api/contacts?cursor=$CURSOR"
measure get "GET /api/contacts/{id}" "$BASE/api/contacts/$LAST_ID" -s "$WORK/get.lua"
measure search "GET /api/contacts?q=$SEARCH_TERM" "$BASE/api/contacts?q=$SEARCH_TERM"
measure create "POST /api/contacts" "$BASE/api/contacts" -s "$WORK/create.lua"
created=$(psql_q -tAc "SELECT count(*) FROM contacts WHERE org_id = '$ORG' AND email LIKE 'create-$RUN_ID-%'")
kill -TERM "$BENCH_PID" 2>/dev/null; wait "$BENCH_PID" 2>/dev/null || true
psql_q -c "DELETE FROM contacts WHERE org_id = '$ORG' AND email LIKE 'create-%@bench.example'"
psql_q -c "VACUUM ANALYZE contacts" >/dev/null

# ------------------------------------------------------------------------------------------
# PostgreSQL alone: the same SQL under pgbench -M prepared

# Writes a pgbench script: the SQL with $1 as :org and the other parameters as given.
pgbench_script() {  # pgbench_script <file> <sql> <sed expressions...>
  local file="$1" sql="$2"
  shift 2
  {
    [ "$file" = "$WORK/get.pgb" ] && echo '\set n random(1, 100000)'
    printf '%s' "$sql" | sed -e 's/\$1\b/:org/g' "$@"
    echo ";"
  } >"$file"
}
# pgbench passes variables as text parameters; the id is built from the random number the
# same way the ids were loaded.
pgbench_script "$WORK/get.pgb" "$GET_SQL" -e "s/\\\$2\\b/('00000000-0000-7000-8b00-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid/"
pgbench_script "$WORK/list.pgb" "$LIST_SQL"
pgbench_script "$WORK/deep.pgb" "$DEEP_SQL" -e 's/\$2\b/:key/' -e 's/\$3\b/:kid/'
pgbench_script "$WORK/search.pgb" "$SEARCH_SQL" -e 's/\$2\b/:pat/' -e 's/\$3\b/:pat/'

declare -A PG_TPS PG_P50 PG_P99 PG_BEST
pgbench_run() {  # pgbench_run <key> <clients> <seconds>
  local key="$1" clients="$2" seconds="$3" dir="$WORK/log-$1-$2"
  mkdir -p "$dir"
  # The server plans every search for its pattern, with bitmap scans only (planBitmapScansOnly
  # in src/contacts/repository.cpp); pgbench's prepared statement would go generic after five
  # runs and guess the pattern's selectivity.
  local plan_options=""
  if [ "$key" = search ]; then
    plan_options="-c plan_cache_mode=force_custom_plan -c enable_seqscan=off -c enable_indexscan=off"
  fi
  local out
  out=$(cd "$dir" && PGOPTIONS="$plan_options" "$PGBENCH" -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$WORK/$key.pgb" \
    -D org="$ORG" -D key="$DEEP_TIME" -D kid="$DEEP_ID" -D pat="$SEARCH_TERM" \
    -l --sampling-rate=0.2 "$DB" 2>&1) || { echo "$out" >&2; return 1; }
  local tps
  tps=$(echo "$out" | awk '/^tps = / { printf "%.0f", $3; exit }')
  # Column 3 of pgbench's per-transaction log is the latency in microseconds.
  local latencies="$dir/latencies"
  cat "$dir"/pgbench_log.* | awk '{ print $3 }' | sort -n >"$latencies"
  local count
  count=$(wc -l <"$latencies")
  local p50 p99
  p50=$(awk -v n="$count" 'NR == int(n * 0.50) + 1 { printf "%.2f", $1 / 1000; exit }' "$latencies")
  p99=$(awk -v n="$count" 'NR == int(n * 0.99) + 1 { printf "%.2f", $1 / 1000; exit }' "$latencies")
  PG_TPS[$key-$clients]=$tps PG_P50[$key-$clients]=$p50 PG_P99[$key-$clients]=$p99
  if [ -z "${PG_BEST[$key]:-}" ] || [ "$tps" -gt "${PG_BEST[$key]}" ]; then PG_BEST[$key]=$tps; fi
  printf '%-34s %9s tps     p50 %7s ms   p99 %7s ms\n' "pgbench $key, $clients clients" "$tps" "$p50" "$p99"
}
for clients in 16 64; do
  for key in get list deep search; do
    [[ " $ONLY " == *" $key "* ]] || continue
    seconds=$SECONDS_PER_RUN
    if [ "$key" = deep ] || [ "$key" = search ]; then seconds=$EXTRA_SECONDS; fi
    pgbench_run "$key" "$clients" "$seconds"
  done
done

# ------------------------------------------------------------------------------------------
# Summary

echo
printf '%-36s %9s %9s %9s %14s\n' "endpoint (64 connections)" "req/s" "p50 ms" "p99 ms" "vs pgbench"
missed=()
for key in $ONLY; do
  ratio="n/a"
  if [ -n "${PG_BEST[$key]:-}" ]; then
    ratio=$(awk -v a="${RPS[$key]}" -v b="${PG_BEST[$key]}" 'BEGIN { printf "%.0f %%", 100 * a / b }')
  fi
  case $key in
    list) label="GET /api/contacts (first page)" ;;
    deep) label="GET /api/contacts?cursor (90k)" ;;
    get) label="GET /api/contacts/{id}" ;;
    search) label="GET /api/contacts?q" ;;
    create) label="POST /api/contacts ($created made)" ;;
  esac
  printf '%-36s %9s %9s %9s %14s\n' "$label" "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" "$ratio"
  if awk -v p="${P99[$key]}" 'BEGIN { exit !(p >= 20) }'; then missed+=("$key p99 ${P99[$key]} ms"); fi
  if [ "$key" = get ] || [ "$key" = list ]; then
    if awk -v a="${RPS[$key]}" -v b="${PG_BEST[$key]}" 'BEGIN { exit !(a < 0.6 * b) }'; then
      missed+=("$key at $ratio of pgbench")
    fi
  fi
done
echo
if [ ${#missed[@]} -eq 0 ]; then
  echo "result: targets met (p99 < 20 ms everywhere; get by id and list >= 60 % of pgbench)"
else
  echo "result: TARGET MISSED: ${missed[*]}"
fi
