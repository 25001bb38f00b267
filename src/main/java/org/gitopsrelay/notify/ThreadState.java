package org.gitopsrelay.notify;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A thread as the notifier remembers it in {@code relay.notifier-threads}: its root post, its channel, whether the
 * thing it follows is closed (a closed preview's thread gets no replies: reopening starts a new one), and the ids of
 * the last events posted in it, so that a redelivered event is not posted twice, and the time of the newest, so
 * that a late one (a replay) adds its reply without turning the state back.
 */
public record ThreadState(String rootPostId, String channelId, boolean closed, List<String> events,
        Instant lastEventAt) {

    static final int REMEMBERED_EVENTS = 50;

    public ThreadState {
        events = List.copyOf(events);
    }

    static ThreadState opened(String rootPostId, String channelId, String eventId, boolean closed, Instant at) {
        return new ThreadState(rootPostId, channelId, closed, List.of(eventId), at);
    }

    /** Whether an event happened before the newest one in the thread (a replay, or a late delivery). */
    boolean isNewerThan(Instant at) {
        return lastEventAt != null && at != null && at.isBefore(lastEventAt);
    }

    boolean posted(String eventId) {
        return events.contains(eventId);
    }

    ThreadState with(String eventId, boolean closedNow, Instant at) {
        List<String> next = new ArrayList<>(events);
        next.add(eventId);
        while (next.size() > REMEMBERED_EVENTS) {
            next.remove(0);
        }
        Instant newest = isNewerThan(at) || at == null ? lastEventAt : at;
        return new ThreadState(rootPostId, channelId, closedNow, next, newest);
    }
}
