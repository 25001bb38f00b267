package org.gitopsrelay.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.pipeline.RelayException.Reason;
import org.jboss.logging.Logger;

/**
 * The records on {@code relay.dead-letter} that were not replayed yet, and their replay: each goes back, unchanged,
 * to the topic it failed on, so its handler tries it again (and, being idempotent, does only what is still to do).
 * What was replayed is remembered as the offsets of the consumer group {@code gitops-relay-replay}.
 */
@ApplicationScoped
public class DeadLetters {

    public static final String GROUP = "gitops-relay-replay";
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final Duration POLL = Duration.ofMillis(500);

    /** A dead-lettered record as the API shows it. */
    public record DeadLetter(String topic, String key, String eventId, String eventType, String reason, int partition,
            long offset) {
    }

    private final KafkaClientConfig kafka;
    private final EventPublisher publisher;

    @Inject
    public DeadLetters(KafkaClientConfig kafka, EventPublisher publisher) {
        this.kafka = kafka;
        this.publisher = publisher;
    }

    /** The records not replayed yet, oldest first per partition. */
    public synchronized List<DeadLetter> pending() {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            return read(consumer).stream().map(DeadLetters::describe).toList();
        }
    }

    /** Sends every record not replayed yet back to its topic; returns what was replayed. */
    public synchronized List<DeadLetter> replay() {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<ConsumerRecord<String, String>> records = read(consumer);
            List<DeadLetter> replayed = new ArrayList<>();
            Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
            for (ConsumerRecord<String, String> record : records) {
                DeadLetter letter = describe(record);
                try {
                    publisher.forward(letter.topic(), record.key(), record.value());
                } catch (RelayException e) {
                    // What was sent so far is recorded; the rest stays pending for the next replay.
                    consumer.commitSync(done);
                    throw new RelayException(Reason.KAFKA_UNAVAILABLE, "Replay stopped after " + replayed.size()
                            + " records: " + e.getMessage(), e);
                }
                done.put(new TopicPartition(record.topic(), record.partition()),
                        new OffsetAndMetadata(record.offset() + 1));
                replayed.add(letter);
                LOG.infof("Replayed dead letter %s-%d@%d (event %s) to %s", record.topic(), record.partition(),
                        record.offset(), letter.eventId(), letter.topic());
            }
            consumer.commitSync(done);
            return replayed;
        }
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "gitops-relay-replay-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new StringDeserializer());
    }

    /** Reads from the group's position up to the end offsets as they were when the call began. */
    private static List<ConsumerRecord<String, String>> read(KafkaConsumer<String, String> consumer) {
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTER, Duration.ofSeconds(10)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        consumer.assign(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(partitions),
                Duration.ofSeconds(10));
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = committed.get(partition);
            if (offset == null) {
                consumer.seekToBeginning(List.of(partition));
            } else {
                consumer.seek(partition, offset.offset());
            }
        }
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!caughtUp(consumer, partitions, end) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
                if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    private static boolean caughtUp(KafkaConsumer<String, String> consumer, List<TopicPartition> partitions,
            Map<TopicPartition, Long> end) {
        for (TopicPartition partition : partitions) {
            if (consumer.position(partition) < end.get(partition)) {
                return false;
            }
        }
        return true;
    }

    private static DeadLetter describe(ConsumerRecord<String, String> record) {
        String topic = header(record, "dead-letter-topic");
        String eventId = null;
        String eventType = null;
        try {
            var event = EventCodec.decode(record.value());
            eventId = event.id();
            eventType = event.type();
        } catch (IllegalArgumentException e) {
            // An unreadable record is listed too; replaying it will dead-letter it again.
        }
        return new DeadLetter(topic == null ? Topics.GIT_EVENTS : topic, record.key(), eventId, eventType,
                header(record, "dead-letter-reason"), record.partition(), record.offset());
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
