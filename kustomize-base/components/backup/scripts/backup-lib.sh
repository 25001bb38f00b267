# shellcheck shell=sh
# Shared by db-dump.sh, db-upload.sh and db-fetch-latest.sh (sourced, never run): the checks of what comes from the
# environment, HMAC-SHA256 in plain sh, requests to an S3-compatible store over curl, and the report to gitops-relay.
#
# Everything here runs under busybox ash (postgres:15-alpine, curlimages/curl) as well as dash or bash with GNU
# coreutils: POSIX sh, and only the tools both have (sha256sum, od, tr, sed, cut, sort, grep -E, date -u).
# The scripts that source this set LOG_NAME first.

# Stops the script with EXIT_CODE after saying why on stderr.
die() {
  code=$1
  shift
  echo "$LOG_NAME: $*" >&2
  exit "$code"
}

# require VARIABLE SHAPE: the variable's value has the plain SHAPE, or the script stops with exit code 2 before it
# has run anything. Whatever reaches a URL, an object key, a file name or SQL passes through here first.
require() {
  require_var=$1
  eval "require_value=\${$require_var-}"
  if ! plain "$2" "$require_value"; then
    die 2 "$require_var '$require_value' is not $(shape_text "$2")"
  fi
}

# Like require, but an empty value is allowed (the setting is optional).
require_optional() {
  eval "require_value=\${$1-}"
  if [ -n "$require_value" ]; then
    require "$1" "$2"
  fi
}

shape_text() {
  case $1 in
    name) echo "a plain name (a-z, 0-9 and '-', at most 63, starting and ending with a letter or a digit)" ;;
    bucket) echo "a plain bucket name (a-z, 0-9, '.' and '-', 3 to 63, starting and ending with a letter or a digit)" ;;
    database) echo "a plain database name (letters, digits, '_' and '-', at most 63, starting with a letter or '_')" ;;
    endpoint) echo "an http(s)://host[:port] address with no path" ;;
    url) echo "an http(s)://host[:port][/path] address (letters, digits and . _ ~ / - in the path)" ;;
    region) echo "a plain region name (a-z, 0-9 and '-')" ;;
    count) echo "a whole number from 1 to 9999" ;;
    seconds) echo "a whole number of seconds from 0 to 9999" ;;
    id) echo "a plain id (letters, digits and . _ : -, at most 128)" ;;
    stamp) echo "a UTC timestamp YYYYMMDDTHHMMSSZ" ;;
    sha256) echo "64 lowercase hex digits" ;;
    *) echo "of the shape $1" ;;
  esac
}

# plain SHAPE VALUE: whether VALUE has the SHAPE (see shape_text).
plain() {
  plain_value=$2
  case $1 in
    name)
      case $plain_value in '' | *[!a-z0-9-]* | -* | *-) return 1 ;; esac
      [ "${#plain_value}" -le 63 ]
      ;;
    bucket)
      case $plain_value in '' | *[!a-z0-9.-]* | [.-]* | *[.-] | *..*) return 1 ;; esac
      [ "${#plain_value}" -ge 3 ] && [ "${#plain_value}" -le 63 ]
      ;;
    database)
      case $plain_value in '' | *[!A-Za-z0-9_-]* | [!A-Za-z_]*) return 1 ;; esac
      [ "${#plain_value}" -le 63 ]
      ;;
    endpoint)
      case $plain_value in http://?* | https://?*) ;; *) return 1 ;; esac
      case ${plain_value#*://} in *[!A-Za-z0-9.:-]* | [.:-]*) return 1 ;; esac
      ;;
    url)
      case $plain_value in http://?* | https://?*) ;; *) return 1 ;; esac
      plain_rest=${plain_value#*://}
      plain_host=${plain_rest%%/*}
      case $plain_host in '' | *[!A-Za-z0-9.:-]* | [.:-]*) return 1 ;; esac
      case ${plain_rest#"$plain_host"} in *[!A-Za-z0-9._~/-]* | *..*) return 1 ;; esac
      ;;
    region)
      case $plain_value in '' | *[!a-z0-9-]*) return 1 ;; esac
      ;;
    count)
      case $plain_value in '' | *[!0-9]* | 0*) return 1 ;; esac
      [ "${#plain_value}" -le 4 ]
      ;;
    seconds)
      case $plain_value in '' | *[!0-9]*) return 1 ;; esac
      [ "${#plain_value}" -le 4 ]
      ;;
    id)
      case $plain_value in '' | *[!A-Za-z0-9._:-]*) return 1 ;; esac
      [ "${#plain_value}" -le 128 ]
      ;;
    stamp)
      case $plain_value in [0-9][0-9][0-9][0-9][0-1][0-9][0-3][0-9]T[0-2][0-9][0-5][0-9][0-5][0-9]Z) ;; *) return 1 ;; esac
      ;;
    sha256)
      case $plain_value in *[!0-9a-f]*) return 1 ;; esac
      [ "${#plain_value}" -eq 64 ]
      ;;
    *) return 1 ;;
  esac
}

# The time now in UTC, as an object key's timestamp (YYYYMMDDTHHMMSSZ: sorts by name) ...
utc_stamp() {
  date -u +%Y%m%dT%H%M%SZ
}

# ... and such a timestamp as ISO 8601, for reports.
iso_of_stamp() {
  echo "$1" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3T\4:\5:\6Z/'
}

# octal_escapes HEX: the bytes written as hex pairs, as escapes printf '%b' turns back into those bytes. No
# subshell per byte: 64 of them would cost more than the hashing.
octal_escapes() {
  octal_rest=$1
  octal_out=""
  while [ -n "$octal_rest" ]; do
    octal_byte=$((0x${octal_rest%"${octal_rest#??}"}))
    octal_rest=${octal_rest#??}
    octal_out="$octal_out\\0$((octal_byte / 64))$((octal_byte / 8 % 8))$((octal_byte % 8))"
  done
  printf '%s' "$octal_out"
}

# xor_escapes HEX PAD: like octal_escapes, each byte XORed with PAD (0x36 or 0x5c).
xor_escapes() {
  xor_rest=$1
  xor_out=""
  while [ -n "$xor_rest" ]; do
    xor_byte=$((0x${xor_rest%"${xor_rest#??}"} ^ $2))
    xor_rest=${xor_rest#??}
    xor_out="$xor_out\\0$((xor_byte / 64))$((xor_byte / 8 % 8))$((xor_byte % 8))"
  done
  printf '%s' "$xor_out"
}

# hmac_sha256_hex KEY FILE: the lowercase hex HMAC-SHA256 (RFC 2104) of FILE's bytes under the bytes of the string
# KEY, with nothing but sha256sum, od and printf (the curl image has no openssl):
#   HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m)), K' = K (or H(K) when longer than the 64-byte block),
#   padded with zero bytes to 64.
hmac_sha256_hex() {
  hmac_key=$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')
  if [ "${#hmac_key}" -gt 128 ]; then
    hmac_key=$(printf '%s' "$1" | sha256sum | cut -c1-64)
  fi
  while [ "${#hmac_key}" -lt 128 ]; do
    hmac_key="${hmac_key}00"
  done
  hmac_inner=$({ printf '%b' "$(xor_escapes "$hmac_key" 0x36)"; cat "$2"; } | sha256sum | cut -c1-64)
  { printf '%b' "$(xor_escapes "$hmac_key" 0x5c)"; printf '%b' "$(octal_escapes "$hmac_inner")"; } \
    | sha256sum | cut -c1-64
}

# sha256_of FILE: the lowercase hex SHA-256 of the file.
sha256_of() {
  sha256sum "$1" | cut -c1-64
}

# urlencode TEXT: TEXT with everything but A-Z a-z 0-9 - . _ ~ percent-encoded, as SigV4 wants query values.
urlencode() {
  url_rest=$1
  while [ -n "$url_rest" ]; do
    url_char=${url_rest%"${url_rest#?}"}
    url_rest=${url_rest#?}
    case $url_char in
      [A-Za-z0-9._~-]) printf '%s' "$url_char" ;;
      *) printf '%%%02X' "'$url_char" ;;
    esac
  done
}

# One line of text fit for a report's message: printable ASCII only, at most 1000 characters.
one_line() {
  tr -cd '\11\12\15\40-\176' | tr '\11\12\15' '   ' | cut -c1-1000
}

# --- S3 ---------------------------------------------------------------------------------------------------------

# Settings every script talking to the store needs, checked. Keys stay out of curl's command line (where other
# processes could read them): curl reads them from its standard input as a config file.
require_s3() {
  require S3_ENDPOINT endpoint
  require S3_BUCKET bucket
  S3_REGION=${S3_REGION:-us-east-1}
  require S3_REGION region
  [ -n "${S3_ACCESS_KEY_ID:-}" ] || die 2 "S3_ACCESS_KEY_ID is not set"
  [ -n "${S3_SECRET_ACCESS_KEY:-}" ] || die 2 "S3_SECRET_ACCESS_KEY is not set"
  S3_ENDPOINT=${S3_ENDPOINT%/}
}

s3_credentials() {
  printf 'user = "%s:%s"\n' "$(printf '%s' "$S3_ACCESS_KEY_ID" | sed 's/[\\"]/\\&/g')" \
    "$(printf '%s' "$S3_SECRET_ACCESS_KEY" | sed 's/[\\"]/\\&/g')"
}

# s3 METHOD PATH_AND_QUERY OUT [curl options...]: a SigV4-signed, path-style request to the bucket; the answer's body
# goes to OUT. Returns 0 on a 2xx answer; otherwise S3_ERROR says what went wrong (S3's own code and message, or
# curl's). The payload is not hashed into the signature (UNSIGNED-PAYLOAD, as S3 allows over any transport).
s3() {
  s3_method=$1
  s3_path=$2
  s3_out=$3
  shift 3
  S3_ERROR=""
  s3_exit=0
  s3_status=$(s3_credentials | curl -sS -K - -X "$s3_method" --aws-sigv4 "aws:amz:$S3_REGION:s3" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --connect-timeout 10 --max-time "${S3_MAX_SECONDS:-3600}" \
    -o "$s3_out" -w '%{http_code}' "$@" "$S3_ENDPOINT/$S3_BUCKET$s3_path" 2>"$WORK/curl.err") || s3_exit=$?
  if [ "$s3_exit" -ne 0 ]; then
    S3_ERROR="$(one_line <"$WORK/curl.err")"
    [ -n "$S3_ERROR" ] || S3_ERROR="curl exited with $s3_exit"
    return 1
  fi
  case $s3_status in
    2??) return 0 ;;
  esac
  s3_code=$(tr '<' '\n' <"$s3_out" 2>/dev/null | sed -n 's/^Code>//p' | head -n 1)
  s3_message=$(tr '<' '\n' <"$s3_out" 2>/dev/null | sed -n 's/^Message>//p' | head -n 1)
  S3_ERROR=$(printf 'HTTP %s %s: %s' "$s3_status" "$s3_code" "$s3_message" | one_line)
  return 1
}

# s3_list PREFIX FILE: every key under PREFIX into FILE, one a line, across as many pages as the store answers.
# ListObjectsV2's XML is cut at each '<' and read with sed: the curl image has neither jq nor an XML parser. The
# keys this component writes hold no character XML would escape.
s3_list() {
  : >"$2"
  list_token=""
  while :; do
    # SigV4 signs the query sorted by name: continuation-token, list-type, prefix.
    list_query="list-type=2&prefix=$(urlencode "$1")"
    if [ -n "$list_token" ]; then
      list_query="continuation-token=$(urlencode "$list_token")&$list_query"
    fi
    s3 GET "?$list_query" "$WORK/list.xml" || return 1
    tr '<' '\n' <"$WORK/list.xml" | sed -n 's/^Key>//p' >>"$2"
    list_token=$(tr '<' '\n' <"$WORK/list.xml" | sed -n 's/^NextContinuationToken>//p' | head -n 1)
    if ! tr '<' '\n' <"$WORK/list.xml" | grep -q '^IsTruncated>true' || [ -z "$list_token" ]; then
      return 0
    fi
  done
}

# dumps_in FILE APP ENVIRONMENT: the dumps of that app and environment among the keys in FILE, oldest first. Only
# keys of exactly the shape <app>/<env>/<timestamp>.dump count: nothing of another app, environment or folder.
dumps_in() {
  grep -E "^$2/$3/[0-9]{8}T[0-9]{6}Z\\.dump\$" "$1" | sort
}

# --- the report to gitops-relay -----------------------------------------------------------------------------------

# report KIND OUTCOME [MESSAGE]: POSTs the run's report to $RELAY_URL/webhooks/backup, signed with REPORT_SECRET.
# Reads APP, ENVIRONMENT, STAMP, STARTED_AT and, when known, OBJECT_KEY, SIZE_BYTES, SHA256, REQUEST_ID. A 5xx or
# no answer is tried again (REPORT_TRIES times in all, waiting REPORT_RETRY_SECONDS, doubled each time); a 4xx is
# not. Returns 0 once the relay took the report, 1 otherwise. Without RELAY_URL (a run by hand) nothing is sent.
report() {
  report_kind=$1
  report_outcome=$2
  report_message=$(printf '%s' "${3:-}" | one_line | sed 's/\\/\\\\/g; s/"/\\"/g')
  if [ -z "${RELAY_URL:-}" ]; then
    echo "$LOG_NAME: RELAY_URL is not set: no report sent ($report_kind $report_outcome)"
    return 0
  fi
  {
    printf '{"kind":"%s","app":"%s","environment":"%s","outcome":"%s"' "$report_kind" "$APP" "$ENVIRONMENT" \
      "$report_outcome"
    [ -z "${OBJECT_KEY:-}" ] || printf ',"objectKey":"%s"' "$OBJECT_KEY"
    [ -z "${SIZE_BYTES:-}" ] || printf ',"sizeBytes":%s' "$SIZE_BYTES"
    [ -z "${SHA256:-}" ] || printf ',"sha256":"%s"' "$SHA256"
    printf ',"startedAt":"%s","finishedAt":"%s"' "$STARTED_AT" "$(iso_of_stamp "$(utc_stamp)")"
    [ -z "${REQUEST_ID:-}" ] || printf ',"requestId":"%s"' "$REQUEST_ID"
    [ -z "$report_message" ] || printf ',"message":"%s"' "$report_message"
    printf '}'
  } >"$WORK/report.json"
  report_signature=$(hmac_sha256_hex "$REPORT_SECRET" "$WORK/report.json")
  report_delivery="$APP-$ENVIRONMENT-$report_kind-$STAMP"
  report_try=1
  report_wait=${REPORT_RETRY_SECONDS:-2}
  while :; do
    report_status=$(curl -sS -o "$WORK/relay.out" -w '%{http_code}' --connect-timeout 5 --max-time 30 \
      -H 'Content-Type: application/json' -H "X-Relay-Signature-256: sha256=$report_signature" \
      -H "X-Relay-Delivery: $report_delivery" --data-binary "@$WORK/report.json" \
      "${RELAY_URL%/}/webhooks/backup" 2>"$WORK/relay.err") || true
    case $report_status in
      2??)
        echo "$LOG_NAME: reported $report_kind $report_outcome ($report_delivery): HTTP $report_status"
        return 0
        ;;
      4??)
        echo "$LOG_NAME: the relay refused the report with HTTP $report_status, not retried (check REPORT_SECRET and RELAY_URL): $(one_line <"$WORK/relay.out" | cut -c1-200)" >&2
        return 1
        ;;
    esac
    case $report_status in
      [1-5]??) report_why="HTTP $report_status" ;;
      *) report_why=$(one_line <"$WORK/relay.err") && [ -n "$report_why" ] || report_why="no answer" ;;
    esac
    if [ "$report_try" -ge "${REPORT_TRIES:-5}" ]; then
      echo "$LOG_NAME: the report could not be delivered after $report_try tries: $report_why" >&2
      return 1
    fi
    echo "$LOG_NAME: report try $report_try failed ($report_why); again in ${report_wait}s" >&2
    sleep "$report_wait"
    report_try=$((report_try + 1))
    report_wait=$((report_wait * 2))
  done
}

# Checks the report's settings up front, so that a run never does the work and then cannot say so.
require_report() {
  require_optional RELAY_URL url
  if [ -n "${RELAY_URL:-}" ] && [ -z "${REPORT_SECRET:-}" ]; then
    die 2 "REPORT_SECRET is not set (RELAY_URL is)"
  fi
  require_optional REQUEST_ID id
  require_optional REPORT_TRIES count
  require_optional REPORT_RETRY_SECONDS seconds
}
