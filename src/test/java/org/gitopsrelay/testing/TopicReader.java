package org.gitopsrelay.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;

/** Reads a topic of the real broker from its beginning, as a consumer group of its own. */
public final class TopicReader implements AutoCloseable {

    private final KafkaConsumer<String, String> consumer;
    private final List<ConsumerRecord<String, String>> seen = new ArrayList<>();

    public TopicReader(String topic) {
        consumer = new KafkaConsumer<>(clientConfig(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(topic));
    }

    /** The running application's {@code kafka.*} settings (a secured cluster's credentials too), plus these. */
    public static Map<String, Object> clientConfig(Map<String, Object> own) {
        var config = ConfigProvider.getConfig();
        Map<String, Object> settings = new java.util.HashMap<>();
        settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getValue("kafka.bootstrap.servers", String.class));
        for (String name : config.getPropertyNames()) {
            if (name.startsWith("kafka.") && !name.equals("kafka.bootstrap.servers")) {
                config.getOptionalValue(name, String.class).ifPresent(value -> settings.put(name.substring(6), value));
            }
        }
        settings.putAll(own);
        return settings;
    }

    /** Waits for a record that matches, reading on from what was already seen. */
    public ConsumerRecord<String, String> await(Predicate<ConsumerRecord<String, String>> matches, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : seen) {
                if (matches.test(record)) {
                    return record;
                }
            }
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        throw new AssertionError("No matching record within " + timeout + "; seen: " + seen.stream()
                .map(ConsumerRecord::value).toList());
    }

    /** Waits for the outcome event of this type that {@code triggerEvent} caused, and returns it whole. */
    public RelayEvent awaitOutcome(Class<? extends OutcomeEvent> type,
            String triggerEvent, Duration timeout) {
        return EventCodec.decode(await(record -> {
            try {
                var event = EventCodec.outcome(EventCodec.decode(record.value())).orElse(null);
                return type.isInstance(event) && triggerEvent.equals(event.triggerEvent());
            } catch (IllegalArgumentException e) {
                // A crafted or damaged record some test wrote on purpose.
                return false;
            }
        }, timeout).value());
    }

    /** The outcome record of this type that {@code triggerEvent} caused. */
    public <T extends OutcomeEvent> T awaitOutcomeData(Class<T> type, String triggerEvent,
            Duration timeout) {
        return type.cast(EventCodec.outcome(awaitOutcome(type, triggerEvent, timeout))
                .orElseThrow());
    }

    /** Every record seen so far, after reading whatever arrives within {@code quiet}. */
    public List<ConsumerRecord<String, String>> drain(Duration quiet) {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
        }
        return List.copyOf(seen);
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
