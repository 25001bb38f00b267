package org.gitopsrelay.shared;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/** The one domain exception: its reason decides the HTTP status, whether to retry, and the metric tag. */
public class RelayException extends RuntimeException {

    public enum Reason {
        BAD_SIGNATURE(401, false),
        MALFORMED_PAYLOAD(400, false),
        PAYLOAD_TOO_LARGE(413, false),
        KAFKA_UNAVAILABLE(503, true),
        /** Kafka answered but will not take the record (no permission, too large): a setting to fix, not an outage. */
        KAFKA_REFUSED(500, false),
        /**
         * A webhook the app registry does not route waited its bound for the registry's refresh from the GitOps
         * remote, which is still running: redelivered later, it is routed with the refreshed registry.
         */
        REGISTRY_REFRESHING(503, true),
        GIT_UNAVAILABLE(503, true),
        GIT_PUSH_CONFLICT(503, true),
        /** The remote refused the push for another reason than a race (a lock, a hook, a protected branch). */
        GIT_PUSH_REJECTED(503, true),
        /** The overlay does not render: the content is wrong. */
        RENDER_FAILED(422, false),
        /** Kustomize could not be run, timed out, or its output could not be read: the machine is at fault. */
        RENDER_UNAVAILABLE(503, true),
        INVALID_CHANGE(422, false),
        /** The disk under the data directory failed or is full: the change is fine, the machine is not. */
        STORAGE_UNAVAILABLE(503, true),
        /** Mattermost did not take a notification within the retry budget (down, slow, or rate limiting). */
        NOTIFICATION_UNDELIVERED(503, true),
        /** Mattermost refused a notification (a bad token, an unknown channel): retrying cannot help. */
        NOTIFICATION_REFUSED(422, false),
        UNREADABLE_EVENT(400, false),
        /** A replay begun on another replica took over this one before it committed; that one does the work. */
        REPLAY_SUPERSEDED(409, false),
        INTERNAL(500, false);

        private final int httpStatus;
        private final boolean retryable;

        Reason(int httpStatus, boolean retryable) {
            this.httpStatus = httpStatus;
            this.retryable = retryable;
        }

        public int httpStatus() {
            return httpStatus;
        }

        /** Whether trying again later may succeed (the cause is outside the event itself). */
        public boolean retryable() {
            return retryable;
        }

        public String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Reason reason;
    private final Duration retryAfter;

    public RelayException(Reason reason, String message) {
        this(reason, message, (Duration) null);
    }

    /** A failure after which the caller is told when to try again (an HTTP {@code Retry-After}). */
    public RelayException(Reason reason, String message, Duration retryAfter) {
        super(message);
        this.reason = reason;
        this.retryAfter = retryAfter;
    }

    public RelayException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.retryAfter = null;
    }

    /**
     * What an exception nobody expected means: itself when it is one of ours; an I/O error is the disk's (retryable:
     * the change is fine, the machine is not, a full disk for one); anything else a defect.
     */
    public static RelayException of(Throwable e) {
        if (e instanceof RelayException relay) {
            return relay;
        }
        if (e instanceof java.io.UncheckedIOException || e instanceof java.io.IOError) {
            // The cause says what the disk answered ("No space left on device"); the wrapper only what was tried.
            Throwable cause = e.getCause();
            String why = cause == null || cause.getMessage() == null
                    || String.valueOf(e.getMessage()).contains(cause.getMessage()) ? "" : ": " + cause.getMessage();
            return new RelayException(Reason.STORAGE_UNAVAILABLE, "I/O failure: " + e.getMessage() + why, e);
        }
        return new RelayException(Reason.INTERNAL, "Unexpected failure: " + e, e);
    }

    public Reason reason() {
        return reason;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
