package org.gitopsrelay.monitor;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;


/** Open change failures in the compacted topic {@code relay.monitor-state}: key {@code <app>/<env>}, value the time. */
final class KeyValueTopicLedger implements DoraMetrics.FailureLedger {

    private final MonitorState topic;

    KeyValueTopicLedger(MonitorState topic) {
        this.topic = topic;
    }

    @Override
    public Optional<Instant> failingSince(String app, String environment) {
        return topic.get(key(app, environment)).flatMap(KeyValueTopicLedger::instant);
    }

    @Override
    public void failed(String app, String environment, Instant since) {
        topic.put(key(app, environment), since.toString());
    }

    @Override
    public void recovered(String app, String environment) {
        topic.put(key(app, environment), null);
    }

    private static String key(String app, String environment) {
        return "failing/" + app + "/" + environment;
    }

    private static Optional<Instant> instant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
