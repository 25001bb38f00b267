package org.gitopsrelay.shared;

import java.time.Duration;

/** The wait before trying again, shared by the handlers and the notifier. A pure function, tested on its own. */
public final class Backoff {

    private Backoff() {
    }

    /**
     * Exponential back-off with jitter: {@code base * 2^(attempt-1)}, at most {@code max}, of which a random half is
     * taken off, so that replicas that failed together do not retry together. {@code random} is in [0, 1).
     */
    public static Duration jittered(int attempt, Duration base, Duration max, double random) {
        long ceiling = max.toMillis();
        long delay = base.toMillis();
        for (int i = 1; i < attempt && delay < ceiling; i++) {
            delay *= 2;
        }
        delay = Math.min(delay, ceiling);
        return Duration.ofMillis(delay / 2 + (long) (random * (delay - delay / 2)));
    }

    /** The shortest total wait of {@code attempts} tries (every jitter at its lowest): what a retry budget covers. */
    public static Duration shortestTotal(int attempts, Duration base, Duration max) {
        Duration total = Duration.ZERO;
        for (int attempt = 1; attempt < attempts; attempt++) {
            total = total.plus(jittered(attempt, base, max, 0.0));
        }
        return total;
    }
}
