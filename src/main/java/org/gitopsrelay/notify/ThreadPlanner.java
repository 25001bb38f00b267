package org.gitopsrelay.notify;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;

import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.OutcomeEvent.DeploymentCommitted;
import org.gitopsrelay.event.OutcomeEvent.DeploymentFailed;
import org.gitopsrelay.event.OutcomeEvent.PreviewCreated;
import org.gitopsrelay.event.OutcomeEvent.PreviewDeleted;
import org.gitopsrelay.event.OutcomeEvent.PreviewEvent;
import org.gitopsrelay.event.OutcomeEvent.PreviewExpired;

/**
 * Decides where an event is posted. Everything about one preview goes into one thread, and so does everything about
 * one deployment of a threaded environment (production by default); the rest are single posts. A pure function of
 * the event and the thread remembered for it.
 */
final class ThreadPlanner {

    private ThreadPlanner() {
    }

    /** The thread an event belongs to, if it belongs to one. */
    static Optional<String> threadKey(OutcomeEvent event, Collection<String> threadedEnvironments) {
        if (event instanceof PreviewEvent p) {
            return Optional.of("preview/" + p.app() + "/" + p.preview().slug());
        }
        if (event instanceof DeploymentCommitted d && threadedEnvironments.contains(d.environment())) {
            return Optional.of("deployment/" + d.app() + "/" + d.environment() + "/" + d.sourceCommit());
        }
        if (event instanceof DeploymentFailed d && threadedEnvironments.contains(d.environment())) {
            return Optional.of("deployment/" + d.app() + "/" + d.environment() + "/" + d.sourceCommit());
        }
        return Optional.empty();
    }

    /**
     * @param threads whether the sink can thread (the REST API can, an incoming webhook cannot)
     * @param thread the thread remembered under the event's key, if any
     */
    static NotificationPlan plan(OutcomeEvent event, String eventId, Instant at, NotificationText text,
            boolean threads, Optional<String> key, Optional<ThreadState> thread) {
        if (!threads || key.isEmpty()) {
            return new NotificationPlan.Single(text.line(event));
        }
        boolean closes = event instanceof PreviewDeleted || event instanceof PreviewExpired;
        if (thread.isPresent() && thread.get().posted(eventId)) {
            return new NotificationPlan.Skip("event " + eventId + " is already in thread " + key.get());
        }
        if (thread.isPresent() && thread.get().isNewerThan(at)) {
            // A late event (a replayed dead letter) is told where it belongs, but the state shown stays the newest.
            return new NotificationPlan.Reply(key.get(), thread.get(), text.line(event), null,
                    thread.get().closed());
        }
        if (thread.isEmpty() || thread.get().closed() && event instanceof PreviewCreated) {
            return new NotificationPlan.OpenThread(key.get(), text.card(event), closes);
        }
        return new NotificationPlan.Reply(key.get(), thread.get(), text.line(event), text.card(event),
                closes || thread.get().closed() && !(event instanceof PreviewCreated));
    }
}
