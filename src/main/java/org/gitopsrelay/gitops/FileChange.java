package org.gitopsrelay.gitops;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * A commit that changed one file: which commit, when, its subject line, the events its {@code Relay-Event:}
 * trailers name (none for a person's commit), and the file as that commit left it (empty: removed).
 */
public record FileChange(String commit, Instant at, String subject, Set<String> eventIds, Optional<String> content) {

    public FileChange {
        eventIds = Set.copyOf(eventIds);
    }
}
