package org.gitopsrelay.notify;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;

/** How long to wait before trying Mattermost again. Pure functions, so that the policy has tests of its own. */
final class RetryDelay {

    /** Above this, a rate-limit reset is an epoch time, not a number of seconds. */
    private static final long EPOCH_THRESHOLD = 1_000_000_000L;

    private RetryDelay() {
    }

    /**
     * The wait the server asked for: {@code Retry-After} (seconds or an HTTP date), else, when no request is left
     * ({@code X-Ratelimit-Remaining: 0}), {@code X-Ratelimit-Reset} (Mattermost sends seconds until the reset).
     */
    static Optional<Duration> serverAsked(Function<String, String> header, Instant now) {
        String retryAfter = header.apply("Retry-After");
        if (retryAfter != null && !retryAfter.isBlank()) {
            Optional<Duration> asked = seconds(retryAfter.trim(), now).or(() -> httpDate(retryAfter.trim(), now));
            if (asked.isPresent()) {
                return asked;
            }
        }
        String remaining = header.apply("X-Ratelimit-Remaining");
        String reset = header.apply("X-Ratelimit-Reset");
        if (remaining != null && remaining.trim().equals("0") && reset != null) {
            return seconds(reset.trim(), now);
        }
        return Optional.empty();
    }

    private static Optional<Duration> seconds(String text, Instant now) {
        try {
            long value = Long.parseLong(text);
            if (value < 0) {
                return Optional.empty();
            }
            if (value > EPOCH_THRESHOLD) {
                Duration until = Duration.between(now, Instant.ofEpochSecond(value));
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            }
            return Optional.of(Duration.ofSeconds(value));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> httpDate(String text, Instant now) {
        try {
            Duration until = Duration.between(now, ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant());
            return Optional.of(until.isNegative() ? Duration.ZERO : until);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
