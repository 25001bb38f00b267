package org.gitopsrelay.webhook;

import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;

import org.gitopsrelay.event.BackupReport;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads a backup job's report. Everything in it came from a pod that holds the report secret, no more: names must be
 * plain, the object key must be the app's and environment's own (a job cannot report another app's backup), and
 * the free text is cut to a bounded length before it reaches a log or a chat.
 */
final class BackupReports {

    /** Longest message kept; the rest is cut. */
    static final int MAX_MESSAGE = 1000;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern TIMESTAMP = Pattern.compile("[0-9]{8}T[0-9]{6}Z");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    private static final Set<String> KINDS = Set.of(BackupReport.BACKUP, BackupReport.RESTORE);
    private static final Set<String> OUTCOMES = Set.of(BackupReport.SUCCEEDED, BackupReport.FAILED);
    private static final Set<String> FIELDS = Set.of("kind", "app", "environment", "outcome", "objectKey",
            "sizeBytes", "sha256", "startedAt", "finishedAt", "requestId", "message");

    private BackupReports() {
    }

    /** The report, checked; {@code latest}: the latest time a job may claim (now plus the allowed clock skew). */
    static BackupReport parse(JsonNode json, Instant latest) {
        json.fieldNames().forEachRemaining(field -> {
            if (!FIELDS.contains(field)) {
                throw malformed("The field '" + field + "' is not part of a backup report");
            }
        });
        String kind = oneOf(json, "kind", KINDS);
        String app = name(json, "app");
        String environment = name(json, "environment");
        String outcome = oneOf(json, "outcome", OUTCOMES);
        Instant startedAt = required(json, "startedAt");
        Instant finishedAt = required(json, "finishedAt");
        if (finishedAt.isBefore(startedAt)) {
            throw malformed("finishedAt is before startedAt");
        }
        if (finishedAt.isAfter(latest)) {
            // Believed, a time ahead would hold the "last good backup" gauge up, and its alert quiet, until then.
            throw malformed("finishedAt is in the future (" + finishedAt + "): check the job's clock");
        }
        String objectKey = Json.optionalText(json, "objectKey");
        String sha256 = Json.optionalText(json, "sha256");
        Long size = Json.at(json, "sizeBytes") == null ? null : size(json);
        boolean succeeded = outcome.equals(BackupReport.SUCCEEDED);
        if (succeeded && (objectKey == null || sha256 == null || size == null)) {
            throw malformed("A succeeded report names its objectKey, sha256 and sizeBytes");
        }
        if (objectKey != null) {
            String prefix = app + "/" + environment + "/";
            String file = objectKey.startsWith(prefix) ? objectKey.substring(prefix.length()) : "";
            if (!file.endsWith(".dump") || !TIMESTAMP.matcher(file.substring(0, file.length() - 5)).matches()) {
                throw malformed("The objectKey must be " + prefix + "<YYYYMMDDTHHMMSSZ>.dump");
            }
        }
        if (sha256 != null && !SHA256.matcher(sha256).matches()) {
            throw malformed("The sha256 must be 64 lowercase hex digits");
        }
        String requestId = Json.optionalText(json, "requestId");
        if (requestId != null && !REQUEST_ID.matcher(requestId).matches()) {
            throw malformed("The requestId is not a plain token");
        }
        String message = Json.optionalText(json, "message");
        if (message != null && message.length() > MAX_MESSAGE) {
            message = message.substring(0, MAX_MESSAGE) + "…";
        }
        return new BackupReport(kind, app, environment, outcome, objectKey, size, sha256, startedAt, finishedAt,
                requestId, message);
    }

    private static String name(JsonNode json, String field) {
        String value = Json.text(json, field);
        if (!NAME.matcher(value).matches()) {
            throw malformed("The field '" + field + "' is not a plain name (a-z, 0-9, '-')");
        }
        return value;
    }

    private static String oneOf(JsonNode json, String field, Set<String> allowed) {
        String value = Json.text(json, field);
        if (!allowed.contains(value)) {
            throw malformed("The field '" + field + "' must be one of " + allowed.stream().sorted().toList());
        }
        return value;
    }

    private static Instant required(JsonNode json, String field) {
        Instant value = Json.time(json, field);
        if (value == null) {
            throw Json.missing(field);
        }
        return value;
    }

    private static long size(JsonNode json) {
        JsonNode node = Json.at(json, "sizeBytes");
        if (!node.canConvertToLong() || !node.isIntegralNumber() || node.asLong() < 0) {
            throw malformed("The field 'sizeBytes' must be a whole number of bytes");
        }
        return node.asLong();
    }

    private static RelayException malformed(String message) {
        return new RelayException(Reason.MALFORMED_PAYLOAD, message);
    }
}
