package org.gitopsrelay.event;

/** The Kafka topics of the external contract, used by code and tests alike. */
public final class Topics {
    public static final String GIT_EVENTS = "relay.git-events";
    public static final String DEPLOYMENTS = "relay.deployments";
    public static final String BACKUPS = "relay.backups";
    public static final String DEAD_LETTER = "relay.dead-letter";

    /** Internal, compacted: the notifier's thread roots, so threads survive a restart and a second replica. */
    public static final String NOTIFIER_THREADS = "relay.notifier-threads";
    /** Internal, compacted: the monitor's open change failures, so recovery time spans a restart. */
    public static final String MONITOR_STATE = "relay.monitor-state";
    /** Internal: dead-lettered notifications go back here when replayed, so only the notifier sees them again. */
    public static final String NOTIFIER_REPLAY = "relay.notifier-replay";
    /** Internal, compacted: how far each partition of relay.dead-letter was replayed. */
    public static final String REPLAY_STATE = "relay.replay-state";

    public static final java.util.List<String> ALL = java.util.List.of(GIT_EVENTS, DEPLOYMENTS, BACKUPS, DEAD_LETTER,
            NOTIFIER_THREADS, MONITOR_STATE, NOTIFIER_REPLAY, REPLAY_STATE);
    /** Topics whose latest value per key is all that matters. */
    public static final java.util.Set<String> COMPACTED = java.util.Set.of(NOTIFIER_THREADS, MONITOR_STATE,
            REPLAY_STATE);

    private Topics() {
    }
}
