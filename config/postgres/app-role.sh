#!/bin/sh
# Run by the postgres image once, when it first creates its volume (docker-entrypoint-initdb.d):
# the role the web, worker and beat containers connect as. It owns nothing; `manage.py
# db_grants` (the migrate service, as the owner) gives it rows in every table and, on the audit
# log, reading and appending only. On a volume made before this script, run these two lines
# once by hand (psql as the owner).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE couples_app LOGIN PASSWORD '${APP_DB_PASSWORD}';
GRANT CONNECT ON DATABASE "$POSTGRES_DB" TO couples_app;
SQL
