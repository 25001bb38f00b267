#!/bin/sh
# Fetches the latest dump of an app and environment from the S3-compatible store db-upload.sh writes to, into
# FETCH_DIR as <stamp>.dump and <stamp>.dump.sha256, after checking the download against its stored checksum. The
# latest is the newest <app>/<env>/<stamp>.dump by name that has its <key>.sha256 (a dump without one was never
# finished). Runs in curlimages/curl with read-only credentials; seed-preview-db.sh (or pg_restore by hand) then
# restores the folder's newest dump.
#
# Environment:
#   BACKUP_APP                                the app whose dumps to read; empty: fetch nothing (the seed starts empty)
#   BACKUP_ENVIRONMENT                        its environment (default staging)
#   S3_ENDPOINT, S3_BUCKET, S3_REGION         as for db-upload.sh
#   S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY    from a Secret: a key that may only get and list
#   FETCH_DIR                                 where to write (default /backups)
#
# Exit codes: 0 fetched, or nothing to fetch; 1 listing or downloading failed, or the download does not match its
# checksum (nothing is left in FETCH_DIR); 2 a setting is not plain, and nothing was run.
set -eu
LOG_NAME=db-fetch
. "$(dirname "$0")/backup-lib.sh"

if [ -z "${BACKUP_APP:-}" ]; then
  echo "$LOG_NAME: BACKUP_APP is empty: nothing to fetch"
  exit 0
fi
require BACKUP_APP name
BACKUP_ENVIRONMENT=${BACKUP_ENVIRONMENT:-staging}
require BACKUP_ENVIRONMENT name
require_s3
FETCH_DIR=${FETCH_DIR:-/backups}
[ -d "$FETCH_DIR" ] || die 2 "FETCH_DIR $FETCH_DIR is not a folder"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

prefix="$BACKUP_APP/$BACKUP_ENVIRONMENT/"
s3_list "$prefix" "$WORK/keys" || die 1 "listing $prefix in bucket $S3_BUCKET failed: $S3_ERROR"
latest=""
for key in $(dumps_in "$WORK/keys" "$BACKUP_APP" "$BACKUP_ENVIRONMENT" | sort -r); do
  if grep -qxF "$key.sha256" "$WORK/keys"; then
    latest=$key
    break
  fi
done
if [ -z "$latest" ]; then
  echo "$LOG_NAME: no finished dump under $prefix in bucket $S3_BUCKET: nothing to fetch"
  exit 0
fi

name=${latest##*/}
started=$(date +%s)
s3 GET "/$latest.sha256" "$WORK/expected" || die 1 "downloading $latest.sha256 failed: $S3_ERROR"
expected=$(cut -c1-64 "$WORK/expected")
plain sha256 "$expected" || die 1 "$latest.sha256 does not hold a SHA-256"
s3 GET "/$latest" "$FETCH_DIR/$name.partial" || {
  rm -f "$FETCH_DIR/$name.partial"
  die 1 "downloading $latest failed: $S3_ERROR"
}
actual=$(sha256_of "$FETCH_DIR/$name.partial")
if [ "$actual" != "$expected" ]; then
  rm -f "$FETCH_DIR/$name.partial"
  die 1 "$latest does not match its checksum (stored $expected, downloaded $actual); refusing to restore it"
fi
printf '%s  %s\n' "$expected" "$name" >"$FETCH_DIR/$name.sha256"
mv "$FETCH_DIR/$name.partial" "$FETCH_DIR/$name"
echo "$LOG_NAME: fetched $latest ($(wc -c <"$FETCH_DIR/$name" | tr -d ' ') bytes) in $(($(date +%s) - started))s"
