package org.gitopsrelay.state;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One environment of an app as the GitOps branch holds it: what feeds it, what runs there (the image and the source
 * commit behind it), the GitOps commit that put it there and when, and the commits before it. Read from the
 * overlay's file and its history: Git is the record, this is a view of it.
 */
public record EnvironmentState(String name, String feed, String pattern, String namespace, boolean frozen,
        String image, String tag,
        String sourceCommit, String sourceRef, Instant sourceTime, String gitopsCommit, Instant deployedAt,
        String event, List<Deployment> history) {

    public EnvironmentState {
        history = List.copyOf(history);
    }

    /**
     * One commit that changed the overlay, newest first: the tag it left, and the events behind it (none: a
     * person's commit, {@code byRelay} false).
     */
    public record Deployment(String gitopsCommit, Instant at, String tag, String sourceCommit, String subject,
            Set<String> events, boolean byRelay) {

        public Deployment {
            events = Set.copyOf(events);
        }
    }
}
