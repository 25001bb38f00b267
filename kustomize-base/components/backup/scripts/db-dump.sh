#!/bin/sh
# Dumps the app's PostgreSQL database (pg_dump custom format) into BACKUP_DIR, with what the upload needs beside it:
#   backup.dump   the dump, complete (written as backup.dump.partial, renamed when pg_dump succeeded)
#   stamp         the UTC time the dump started, YYYYMMDDTHHMMSSZ: the name of the object it is stored as
#   sha256, size  its checksum and size in bytes
#   failure       instead of all of the above when pg_dump failed: why, in one line
# Runs in postgres:15-alpine, as the CronJob's init container; db-upload.sh then stores and reports it.
#
# Environment:
#   APP, ENVIRONMENT          the app and environment the dump belongs to (plain names)
#   PGHOST, PGPORT, PGUSER    the database server (PGPASSWORD from a Secret, or a .pgpass / PGPASSFILE)
#   PGDATABASE                the database to dump (a plain name)
#   BACKUP_DIR                where to write (default /backup)
#
# Exit codes: 0 dumped; 1 pg_dump failed (the failure file says why, for the report); 2 a setting is not plain, and
# nothing was run.
set -eu
LOG_NAME=db-dump
. "$(dirname "$0")/backup-lib.sh"

require APP name
require ENVIRONMENT name
require PGDATABASE database
BACKUP_DIR=${BACKUP_DIR:-/backup}
[ -d "$BACKUP_DIR" ] || die 2 "BACKUP_DIR $BACKUP_DIR is not a folder"

cd "$BACKUP_DIR"
rm -f backup.dump backup.dump.partial stamp started-at sha256 size failure pg_dump.err
stamp=$(utc_stamp)
echo "$stamp" >stamp
echo "$LOG_NAME: dumping database $PGDATABASE of $APP/$ENVIRONMENT from ${PGHOST:-localhost}:${PGPORT:-5432}"
started=$(date +%s)
# A dead server must fail the run quickly, not hang it until the Job's deadline.
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-15}"
if ! pg_dump --format=custom --no-password --file=backup.dump.partial "$PGDATABASE" 2>pg_dump.err; then
  cat pg_dump.err >&2
  printf 'pg_dump of database %s failed: %s' "$PGDATABASE" "$(tail -n 3 pg_dump.err | one_line)" | one_line >failure
  rm -f backup.dump.partial
  echo "$LOG_NAME: $(cat failure)" >&2
  exit 1
fi
mv backup.dump.partial backup.dump
sha256_of backup.dump >sha256
wc -c <backup.dump | tr -d ' ' >size
echo "$LOG_NAME: dumped $(cat size) bytes in $(($(date +%s) - started))s, sha256 $(cat sha256)"
