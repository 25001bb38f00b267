package org.gitopsrelay.deploy;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The data of {@code relay.deployment.committed} and {@code relay.deployment.failed}: what was (or could not be)
 * deployed where, from which source commit, by whom, as which GitOps commit, and how long each step took.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Deployment(String app, String environment, String image, String sourceRepository, String sourceRef,
        String sourceCommit, String pusher, String gitopsCommit, String triggerEvent, Instant acceptedAt,
        Timings timings, String reason, String error) {

    /** Milliseconds spent in each step, over all attempts. */
    public record Timings(long fetchMillis, long renderMillis, long commitMillis, long pushMillis, long totalMillis,
            int attempts) {
    }
}
