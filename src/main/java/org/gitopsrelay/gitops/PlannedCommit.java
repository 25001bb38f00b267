package org.gitopsrelay.gitops;

import java.util.List;

/**
 * A commit to make: its edit, its message (subject line first) and the ids of the events behind it, written as
 * {@code Relay-Event:} trailers so that the repository's history is the audit log.
 */
public record PlannedCommit(TreeEdit edit, String message, List<String> eventIds) {

    static final String TRAILER = "Relay-Event: ";

    public PlannedCommit {
        eventIds = List.copyOf(eventIds);
    }

    String fullMessage() {
        StringBuilder text = new StringBuilder(message.strip()).append("\n\n");
        for (String id : eventIds) {
            text.append(TRAILER).append(id).append('\n');
        }
        return text.toString();
    }
}
