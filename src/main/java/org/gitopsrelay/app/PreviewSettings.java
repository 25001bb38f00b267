package org.gitopsrelay.app;

import java.time.Duration;
import java.util.Optional;

/**
 * How an app gets preview environments ({@code previews:} in app.yaml): for pull requests, for branches matching a
 * pattern, or both; where they are reachable; how long they live without activity; how many may live at once; and
 * whether pull requests from forks (untrusted code) get one.
 */
public record PreviewSettings(boolean pullRequests, Optional<RefPattern> branches, Optional<String> domain,
        Duration ttl, int max, boolean forks, String imageTag) {

    public static final Duration DEFAULT_TTL = Duration.ofDays(7);
    public static final int DEFAULT_MAX = 10;

    public boolean enabled() {
        return pullRequests || branches.isPresent();
    }

    public boolean followsBranch(String branch) {
        return branches.map(pattern -> pattern.matches(branch)).orElse(false);
    }

    /** No previews at all: an app without a {@code previews:} section. */
    public static PreviewSettings none(String imageTag) {
        return new PreviewSettings(false, Optional.empty(), Optional.empty(), DEFAULT_TTL, DEFAULT_MAX, false, imageTag);
    }
}
