package org.gitopsrelay.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RetryDelayTest {

    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    @Test
    void theBackOffDoublesEachTimeUpToItsCeilingWithAtMostHalfTakenOffByJitter() {
        Duration base = Duration.ofSeconds(1);
        Duration max = Duration.ofSeconds(30);
        assertThat(org.gitopsrelay.shared.Backoff.jittered(1, base, max, 0.0)).isEqualTo(Duration.ofMillis(500));
        assertThat(org.gitopsrelay.shared.Backoff.jittered(1, base, max, 0.999)).isBetween(Duration.ofMillis(990), Duration.ofSeconds(1));
        assertThat(org.gitopsrelay.shared.Backoff.jittered(3, base, max, 0.0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(org.gitopsrelay.shared.Backoff.jittered(30, base, max, 0.0)).isEqualTo(Duration.ofSeconds(15));
        assertThat(org.gitopsrelay.shared.Backoff.jittered(30, base, max, 0.999)).isLessThanOrEqualTo(max);
    }

    @Test
    void retryAfterInSecondsOrAsAnHttpDateIsWhatTheServerAskedFor() {
        assertThat(RetryDelay.serverAsked(Map.of("Retry-After", "7")::get, NOW)).contains(Duration.ofSeconds(7));
        assertThat(RetryDelay.serverAsked(Map.of("Retry-After", "Tue, 24 Nov 2026 12:00:09 GMT")::get, NOW))
                .contains(Duration.ofSeconds(9));
    }

    @Test
    void withNoRequestLeftTheRateLimitResetIsWaitedForInSecondsOrAsAnEpochTime() {
        assertThat(RetryDelay.serverAsked(Map.of("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "4")::get, NOW))
                .contains(Duration.ofSeconds(4));
        long epoch = NOW.plusSeconds(12).getEpochSecond();
        assertThat(RetryDelay.serverAsked(Map.of("X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset",
                String.valueOf(epoch))::get, NOW)).contains(Duration.ofSeconds(12));
        assertThat(RetryDelay.serverAsked(Map.of("X-Ratelimit-Remaining", "3", "X-Ratelimit-Reset", "4")::get, NOW))
                .isEmpty();
    }

    @Test
    void anUnreadableRetryAfterFallsBackToTheRateLimitHeadersOrNothing() {
        assertThat(RetryDelay.serverAsked(Map.of("Retry-After", "soon")::get, NOW)).isEmpty();
        assertThat(RetryDelay.serverAsked(Map.of("Retry-After", "-3", "X-Ratelimit-Remaining", "0",
                "X-Ratelimit-Reset", "2")::get, NOW)).contains(Duration.ofSeconds(2));
    }
}
