package org.gitopsrelay.notify;

/** What the notifier decided to post for one event. */
public sealed interface NotificationPlan {

    /** Nothing to post: the event is already in its thread. */
    record Skip(String why) implements NotificationPlan {
    }

    /** One post on its own. */
    record Single(Message message) implements NotificationPlan {
    }

    /** The first post of a new thread, remembered under {@code key}. */
    record OpenThread(String key, Message root, boolean closed) implements NotificationPlan {
    }

    /** A reply in an existing thread, and its root edited to show the state now ({@code root} null: left as it is). */
    record Reply(String key, ThreadState thread, Message reply, Message root, boolean closed)
            implements NotificationPlan {
    }
}
