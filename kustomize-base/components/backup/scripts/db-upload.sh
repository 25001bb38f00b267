#!/bin/sh
# Stores the dump db-dump.sh left in BACKUP_DIR in an S3-compatible store as <app>/<env>/<stamp>.dump (its checksum
# beside it as <key>.sha256, in sha256sum's format, and as the object's x-amz-meta-sha256), deletes the dumps of that
# app and environment beyond the newest BACKUP_KEEP, and reports the run to gitops-relay (POST /webhooks/backup,
# signed). A dump that failed is reported as failed. Runs in curlimages/curl: curl signs S3 requests itself
# (--aws-sigv4), and the HMAC of the report is computed in sh, so no other client is needed.
#
# Environment:
#   APP, ENVIRONMENT                          the app and environment (plain names): the prefix <app>/<env>/
#   S3_ENDPOINT                               http(s)://host[:port] of the store, path-style (no bucket in the host)
#   S3_BUCKET, S3_REGION                      the bucket; the region to sign for (default us-east-1)
#   S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY    from a Secret: a key that may put, list and delete under the prefix
#   BACKUP_KEEP                               how many dumps of this app and environment to keep (default 14)
#   RELAY_URL, REPORT_SECRET                  where to report, and the report's HMAC secret (from a Secret); without
#                                             RELAY_URL nothing is reported (a run by hand)
#   REQUEST_ID                                optional: the id of the relay's request this backup answers
#   REPORT_TRIES, REPORT_RETRY_SECONDS        tries of a report answered 5xx or not at all (5), first wait (2, doubled)
#   BACKUP_DIR                                where db-dump.sh wrote (default /backup)
#
# Exit codes: 0 stored and reported; 1 the backup failed (reported as failed); 2 a setting is not plain, and nothing
# was run; 3 stored, but the relay refused the report or could not be reached.
set -eu
LOG_NAME=db-upload
. "$(dirname "$0")/backup-lib.sh"

require APP name
require ENVIRONMENT name
require_s3
BACKUP_KEEP=${BACKUP_KEEP:-14}
require BACKUP_KEEP count
require_report
BACKUP_DIR=${BACKUP_DIR:-/backup}
[ -d "$BACKUP_DIR" ] || die 2 "BACKUP_DIR $BACKUP_DIR is not a folder"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

STAMP=$(cat "$BACKUP_DIR/stamp" 2>/dev/null || utc_stamp)
plain stamp "$STAMP" || STAMP=$(utc_stamp)
STARTED_AT=$(iso_of_stamp "$STAMP")
OBJECT_KEY=""
SIZE_BYTES=""
SHA256=""

# failed MESSAGE: reports the backup as failed and stops with exit code 1.
failed() {
  echo "$LOG_NAME: backup of $APP/$ENVIRONMENT failed: $1" >&2
  report backup failed "$1" || true
  exit 1
}

if [ -f "$BACKUP_DIR/failure" ]; then
  failed "$(one_line <"$BACKUP_DIR/failure")"
fi
if [ ! -f "$BACKUP_DIR/backup.dump" ]; then
  failed "no dump in $BACKUP_DIR: the dump did not run or did not finish"
fi
SIZE_BYTES=$(cat "$BACKUP_DIR/size" 2>/dev/null || true)
SHA256=$(cat "$BACKUP_DIR/sha256" 2>/dev/null || true)
case $SIZE_BYTES in '' | *[!0-9]*) SIZE_BYTES=$(wc -c <"$BACKUP_DIR/backup.dump" | tr -d ' ') ;; esac
# The checksum is taken again here: what is stored must be what the dump wrote, not a different file's sum.
actual=$(sha256_of "$BACKUP_DIR/backup.dump")
if [ "$actual" != "$SHA256" ]; then
  SHA256=$actual
  failed "the dump in $BACKUP_DIR does not match the checksum the dump wrote"
fi

key="$APP/$ENVIRONMENT/$STAMP.dump"
started=$(date +%s)
if ! s3 PUT "/$key" "$WORK/put.out" -T "$BACKUP_DIR/backup.dump" -H "x-amz-meta-sha256: $SHA256" \
  -H 'Content-Type: application/octet-stream'; then
  failed "storing $key in bucket $S3_BUCKET failed: $S3_ERROR"
fi
OBJECT_KEY=$key
# The checksum object comes second: a reader takes only dumps that have one, so a run that dies in between leaves
# nothing a restore would pick.
printf '%s  %s\n' "$SHA256" "$STAMP.dump" >"$WORK/sha256"
if ! s3 PUT "/$key.sha256" "$WORK/put.out" -T "$WORK/sha256" -H 'Content-Type: text/plain'; then
  failed "storing the checksum $key.sha256 failed: $S3_ERROR"
fi
echo "$LOG_NAME: stored $key ($SIZE_BYTES bytes) in $(($(date +%s) - started))s"

# Retention: only keys of exactly <app>/<env>/<timestamp>.dump count, so another app, environment or anything else
# under the prefix is never touched; the newest BACKUP_KEEP stay, the dump just stored among them.
retention=""
if s3_list "$APP/$ENVIRONMENT/" "$WORK/keys"; then
  dumps_in "$WORK/keys" "$APP" "$ENVIRONMENT" >"$WORK/dumps" || true
  excess=$(($(wc -l <"$WORK/dumps") - BACKUP_KEEP))
  if [ "$excess" -gt 0 ]; then
    head -n "$excess" "$WORK/dumps" >"$WORK/old"
    while read -r old; do
      if s3 DELETE "/$old.sha256" "$WORK/delete.out" && s3 DELETE "/$old" "$WORK/delete.out"; then
        echo "$LOG_NAME: deleted $old (keeping the newest $BACKUP_KEEP)"
      else
        retention="deleting $old failed: $S3_ERROR"
        break
      fi
    done <"$WORK/old"
  fi
else
  retention="listing $APP/$ENVIRONMENT/ for retention failed: $S3_ERROR"
fi
message=""
if [ -n "$retention" ]; then
  # The dump is stored: the backup succeeded. The message tells the relay older dumps pile up.
  echo "$LOG_NAME: $retention" >&2
  message="stored, but retention failed: $retention"
fi

if ! report backup succeeded "$message"; then
  exit 3
fi
