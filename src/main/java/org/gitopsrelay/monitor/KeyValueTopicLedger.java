package org.gitopsrelay.monitor;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Supplier;

import org.gitopsrelay.pipeline.KeyValueTopic;

/** Open change failures in the compacted topic {@code relay.monitor-state}: key {@code <app>/<env>}, value the time. */
final class KeyValueTopicLedger implements DoraMetrics.FailureLedger, AutoCloseable {

    private final Supplier<KeyValueTopic> opener;
    private volatile KeyValueTopic topic;

    KeyValueTopicLedger(Supplier<KeyValueTopic> opener) {
        this.opener = opener;
    }

    @Override
    public Optional<Instant> failingSince(String app, String environment) {
        return topic().get(key(app, environment)).flatMap(KeyValueTopicLedger::instant);
    }

    @Override
    public void failed(String app, String environment, Instant since) {
        topic().put(key(app, environment), since.toString());
    }

    @Override
    public void recovered(String app, String environment) {
        topic().put(key(app, environment), null);
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

    // The topic is opened on first use: it is created at start-up, after this bean.
    private synchronized KeyValueTopic topic() {
        if (topic == null) {
            topic = opener.get();
        }
        return topic;
    }

    // Not synchronized: a read waiting for Kafka must not hold up the stop.
    @Override
    public void close() {
        KeyValueTopic open = topic;
        if (open != null) {
            open.close();
        }
    }
}
