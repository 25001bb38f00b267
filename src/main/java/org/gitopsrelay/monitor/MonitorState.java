package org.gitopsrelay.monitor;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.kafka.KeyValueTopic;
import org.gitopsrelay.shared.RelayException;
import org.jboss.logging.Logger;

/**
 * The monitor's memory in the compacted topic {@code relay.monitor-state} (open change failures, last good backups),
 * read by one consumer per process whichever monitor asks; and the wait for Kafka that writing it may need.
 */
@ApplicationScoped
public class MonitorState {

    private static final Logger LOG = Logger.getLogger(MonitorState.class);

    private final KeyValueTopic topic;
    private final Duration retryWait;

    @Inject
    public MonitorState(RelayConfig config, KafkaClientConfig kafka, EventPublisher publisher) {
        this.topic = new KeyValueTopic(Topics.MONITOR_STATE, kafka, publisher, config.kafka().sendTimeout());
        this.retryWait = config.kafka().sendTimeout();
    }

    Optional<String> get(String key) {
        return topic.get(key);
    }

    void put(String key, String value) {
        topic.put(key, value);
    }

    /**
     * Runs {@code work} (which reads and writes this state) until Kafka lets it: while Kafka is away the monitor
     * waits, rather than count half an event. A failure that waiting cannot mend, or one while {@code closing}, is
     * thrown.
     */
    void whenKafkaAllows(String what, Runnable work, BooleanSupplier closing) {
        for (int attempt = 1;; attempt++) {
            try {
                work.run();
                return;
            } catch (RelayException e) {
                if (!e.reason().retryable() || closing.getAsBoolean()) {
                    throw e;
                }
                LOG.warnf("Monitor waits for Kafka to record %s (attempt %d): %s", what, attempt, e.getMessage());
                try {
                    Thread.sleep(retryWait.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @PreDestroy
    void close() {
        topic.close();
    }
}
