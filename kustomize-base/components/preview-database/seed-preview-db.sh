#!/bin/sh
# Seeds a preview's own PostgreSQL database from staging's latest backup, once.
#
# The database TARGET_DB appears only when it is complete: the backup is restored into TARGET_DB_seeding, which is
# then renamed. The preview's app waits for TARGET_DB to exist, so it never starts on a half-restored database.
#
# Environment:
#   PGHOST, PGPORT, PGUSER   the preview's own database server (set by the component; nothing else is reachable)
#   TARGET_DB                the database to create (default: app)
#   BACKUP_SOURCE            a folder holding staging's backups as <timestamp>.dump files (pg_dump -Fc), the newest
#                            by name being the latest; an optional <file>.sha256 is checked. With the component
#                            preview-database-from-backups, the folder its fetch init container (db-fetch-latest.sh)
#                            filled from the object store.
#                            Empty: an empty database (previews of untrusted code never get staging's data).
set -eu

target=${TARGET_DB:-app}
case "$target" in
  *[!a-z0-9_]* | "" | [0-9]*) echo "seed: TARGET_DB '$target' is not a plain database name" >&2; exit 2 ;;
esac
seeding="${target}_seeding"
source_dir=${BACKUP_SOURCE:-}

echo "seed: waiting for the database server ${PGHOST:-localhost}:${PGPORT:-5432}"
tries=0
until pg_isready -q -d postgres; do
  tries=$((tries + 1))
  if [ "$tries" -ge "${SEED_WAIT_TRIES:-60}" ]; then
    echo "seed: the database server did not come up" >&2
    exit 1
  fi
  sleep "${SEED_WAIT_SECONDS:-2}"
done

exists() {
  [ "$(psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = "1" ]
}

if exists "$target"; then
  echo "seed: database $target already exists; nothing to do"
  exit 0
fi

# A restore that died half-way left its scratch database behind: start again from nothing.
if exists "$seeding"; then
  dropdb "$seeding"
fi
createdb "$seeding"

backup=""
if [ -n "$source_dir" ]; then
  if [ ! -d "$source_dir" ]; then
    echo "seed: BACKUP_SOURCE $source_dir is not a folder" >&2
    dropdb "$seeding"
    exit 1
  fi
  backup=$(find "$source_dir" -maxdepth 1 -type f -name '*.dump' | sort | tail -n 1)
fi

if [ -z "$backup" ]; then
  echo "seed: no backup to restore (BACKUP_SOURCE='${source_dir}'): $target starts empty"
else
  if [ -f "$backup.sha256" ]; then
    expected=$(cut -d' ' -f1 <"$backup.sha256")
    actual=$(sha256sum "$backup" | cut -d' ' -f1)
    if [ "$expected" != "$actual" ]; then
      echo "seed: $backup does not match its checksum; refusing to restore it" >&2
      dropdb "$seeding"
      exit 1
    fi
  fi
  echo "seed: restoring $backup into $target"
  if ! pg_restore --no-owner --no-acl --exit-on-error -d "$seeding" "$backup"; then
    echo "seed: restoring $backup failed" >&2
    dropdb "$seeding"
    exit 1
  fi
fi

psql -d postgres -v ON_ERROR_STOP=1 -qc "ALTER DATABASE \"$seeding\" RENAME TO \"$target\""
echo "seed: database $target is ready"
