package org.gitopsrelay.event;

import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a backup or restore job reported to {@code POST /webhooks/backup}: the data of the {@code relay.backup.*} and
 * {@code relay.restore.*} events on {@code relay.backups}. Checked by ingest before it is published: the names are
 * registered ones, the object key is the app's and environment's own, the message is bounded.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupReport(String kind, String app, String environment, String outcome, String objectKey,
        Long sizeBytes, String sha256, Instant startedAt, Instant finishedAt, String requestId, String message) {

    public static final String BACKUP = "backup";
    public static final String RESTORE = "restore";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";

    @JsonIgnore
    public boolean succeeded() {
        return SUCCEEDED.equals(outcome);
    }

    @JsonIgnore
    public Duration duration() {
        return Duration.between(startedAt, finishedAt);
    }

    /** The event type: {@code relay.<kind>.<outcome>}. */
    @JsonIgnore
    public String eventType() {
        return "relay." + kind + "." + outcome;
    }
}
