package org.gitopsrelay.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

/**
 * A small durable map kept in a compacted Kafka topic: what a role must remember across a restart and share with
 * its other replicas (the notifier's thread roots, the monitor's open failures). A read first catches up with the
 * topic, so a value written by another replica a moment ago is seen; a write returns once Kafka acknowledged it.
 * Its consumer is made at the first read: a process whose role never reads the map (and the start-up before the
 * topic exists) costs nothing.
 */
public final class KeyValueTopic implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(100);

    private final String topic;
    private final EventPublisher publisher;
    private final KafkaClientConfig kafka;
    private final Duration timeout;
    private volatile KafkaConsumer<String, String> consumer;
    private final Map<String, String> values = new HashMap<>();
    private List<TopicPartition> partitions;

    public KeyValueTopic(String topic, KafkaClientConfig kafka, EventPublisher publisher, Duration timeout) {
        this.topic = topic;
        this.publisher = publisher;
        this.timeout = timeout;
        this.kafka = kafka;
    }

    private KafkaConsumer<String, String> consumer() {
        if (consumer == null) {
            consumer = new KafkaConsumer<>(kafka.with(Map.of(
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    // A missing topic is an error to report, never one to create with the broker's deleting defaults.
                    ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                    ConsumerConfig.CLIENT_ID_CONFIG, "gitops-relay-" + topic)),
                    new StringDeserializer(), new StringDeserializer());
        }
        return consumer;
    }

    /** The value under {@code key}, after reading what was written to the topic up to now. */
    public synchronized Optional<String> get(String key) {
        catchUp();
        return Optional.ofNullable(values.get(key));
    }

    /** Writes {@code value} under {@code key} (null removes it) and waits for Kafka's acknowledgement. */
    public synchronized void put(String key, String value) {
        publisher.forward(topic, key, value);
        if (value == null) {
            values.remove(key);
        } else {
            values.put(key, value);
        }
    }

    private void catchUp() {
        try {
            KafkaConsumer<String, String> consumer = consumer();
            if (partitions == null) {
                List<TopicPartition> found = consumer.partitionsFor(topic, timeout).stream()
                        .map(info -> new TopicPartition(topic, info.partition())).toList();
                if (found.isEmpty()) {
                    throw new RelayException(Reason.KAFKA_UNAVAILABLE, "The topic " + topic + " does not exist (it is"
                            + " created, compacted, at start; create it so if the relay may not)");
                }
                consumer.assign(found);
                consumer.seekToBeginning(found);
                partitions = found;
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (behind(end)) {
                if (System.nanoTime() > deadline) {
                    throw new RelayException(Reason.KAFKA_UNAVAILABLE, "Could not read " + topic + " within "
                            + timeout.toMillis() + " ms");
                }
                for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                    if (record.value() == null) {
                        values.remove(record.key());
                    } else {
                        values.put(record.key(), record.value());
                    }
                }
            }
        } catch (KafkaException e) {
            partitions = null;
            throw new RelayException(Reason.KAFKA_UNAVAILABLE, "Could not read " + topic + ": " + e.getMessage(), e);
        }
    }

    private boolean behind(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> partition : end.entrySet()) {
            if (consumer.position(partition.getKey(), timeout) < partition.getValue()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        KafkaConsumer<String, String> open = consumer;
        if (open == null) {
            return;
        }
        // Wakes a read stuck waiting for Kafka, so that the stop does not wait for it.
        open.wakeup();
        synchronized (this) {
            open.close(Duration.ofSeconds(2));
        }
    }
}
