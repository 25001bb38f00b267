package org.gitopsrelay.event;

/** The Kafka topics of the external contract, used by code and tests alike. */
public final class Topics {
    public static final String GIT_EVENTS = "relay.git-events";
    public static final String DEPLOYMENTS = "relay.deployments";
    public static final String BACKUPS = "relay.backups";
    public static final String DEAD_LETTER = "relay.dead-letter";

    public static final java.util.List<String> ALL = java.util.List.of(GIT_EVENTS, DEPLOYMENTS, BACKUPS, DEAD_LETTER);

    private Topics() {
    }
}
