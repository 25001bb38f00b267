package org.gitopsrelay.notify;

import java.util.ArrayList;
import java.util.List;

/**
 * A thread as the notifier remembers it in {@code relay.notifier-threads}: its root post, its channel, whether the
 * thing it follows is closed (a closed preview's thread gets no replies: reopening starts a new one), and the ids of
 * the last events posted in it, so that a redelivered event is not posted twice.
 */
public record ThreadState(String rootPostId, String channelId, boolean closed, List<String> events) {

    static final int REMEMBERED_EVENTS = 50;

    public ThreadState {
        events = List.copyOf(events);
    }

    static ThreadState opened(String rootPostId, String channelId, String eventId, boolean closed) {
        return new ThreadState(rootPostId, channelId, closed, List.of(eventId));
    }

    boolean posted(String eventId) {
        return events.contains(eventId);
    }

    ThreadState with(String eventId, boolean closedNow) {
        List<String> next = new ArrayList<>(events);
        next.add(eventId);
        while (next.size() > REMEMBERED_EVENTS) {
            next.remove(0);
        }
        return new ThreadState(rootPostId, channelId, closedNow, next);
    }
}
