package org.gitopsrelay.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * The records on {@code relay.dead-letter} that were not replayed yet, and their replay: each goes back, unchanged,
 * to the topic it failed on, so its handler tries it again (and, being idempotent, does only what is still to do).
 * <p>
 * Where the replay got to is a marker per partition in the compacted topic {@code relay.replay-state}, written in
 * the same Kafka transaction as the records sent back: a replay lands whole or not at all, and the marker lasts as
 * long as the dead letters (a consumer group's offsets would expire after a week without a replay, and every dead
 * letter ever written would come back). The transaction has one fixed id for the whole deployment, so a replay
 * begun on another replica fences this one: one replay runs at a time, and what it does is done once.
 */
@ApplicationScoped
public class DeadLetters {

    /** Before the marker topic: where earlier versions recorded what was replayed, read once as the start. */
    public static final String GROUP = "gitops-relay-replay";
    public static final String TRANSACTIONAL_ID = "gitops-relay-replay";
    /** Only the relay's own topics take a replayed record: the target is a header anyone who can write could set. */
    public static final Set<String> TARGETS = Set.of(Topics.GIT_EVENTS, Topics.NOTIFIER_REPLAY);
    private static final Logger LOG = Logger.getLogger(DeadLetters.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /**
     * The transaction spans the sends and the commit only, not the reading: short, so that the handlers reading
     * committed records wait at most this long for a replica killed mid-replay, and within every broker's limit.
     */
    private static final Duration TRANSACTION_TIMEOUT = Duration.ofMinutes(1);

    /** A dead-lettered record as the API shows it. */
    public record DeadLetter(String topic, String key, String eventId, String eventType, String reason, int partition,
            long offset) {
    }

    /** What a replay did: the records sent back, and those it would not send, with why. */
    public record Replay(List<DeadLetter> replayed, List<Refusal> refused) {
    }

    /** A dead letter not sent back, and why: it stays readable on the topic, but the marker moves past it. */
    public record Refusal(DeadLetter record, String why) {
    }

    private final KafkaClientConfig kafka;
    /** Longest wait on any one Kafka call, and to read a topic to its end. */
    private final Duration timeout;
    private final Optional<Roles> roles;

    @Inject
    public DeadLetters(KafkaClientConfig kafka, RelayConfig config, Roles roles) {
        this.kafka = kafka;
        this.timeout = config.kafka().replayTimeout();
        this.roles = Optional.of(roles);
    }

    DeadLetters(KafkaClientConfig kafka, Duration timeout) {
        this.kafka = kafka;
        this.timeout = timeout;
        this.roles = Optional.empty();
    }

    /** The records not replayed yet, oldest first per partition. */
    public synchronized List<DeadLetter> pending() {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            return read(consumer, markers(consumer).from()).stream().map(DeadLetters::describe).toList();
        }
    }

    /**
     * Moves where an earlier version recorded its replays (the offsets of the consumer group, which Kafka drops a
     * week after the group's last use) into markers, so that what was replayed then is never replayed again. Does
     * nothing once every partition has its marker; true when it wrote some.
     */
    public synchronized boolean migrateGroupOffsets() {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            // At every start: the group's offsets alone (one request) say whether there is anything to move.
            if (legacyOffsets(consumer).isEmpty()) {
                return false;
            }
            try (KafkaProducer<String, String> producer = producer()) {
                return migrate(producer, consumer);
            }
        }
    }

    private boolean migrate(KafkaProducer<String, String> producer, KafkaConsumer<String, String> consumer) {
        try {
            // Fence first, then read: a replay committing in between must not have its marker written back.
            producer.initTransactions();
        } catch (KafkaException e) {
            throw unavailable("Cannot record where earlier replays got to", e);
        }
        Markers markers = markers(consumer);
        Map<TopicPartition, Long> missing = new HashMap<>();
        markers.legacy().forEach((partition, offset) -> {
            if (!markers.stored().containsKey(partition)) {
                missing.put(partition, offset);
            }
        });
        if (missing.isEmpty()) {
            return false;
        }
        try {
            producer.beginTransaction();
            missing.forEach((partition, offset) -> producer.send(marker(partition, offset)));
            producer.commitTransaction();
        } catch (KafkaException e) {
            if (!fenced(e)) {
                abort(producer);
            }
            throw unavailable("Cannot record where earlier replays got to", e);
        }
        LOG.infof("Recorded where earlier replays got to as markers in %s: %s", Topics.REPLAY_STATE, missing);
        return true;
    }

    void onStart(@Observes StartupEvent event) {
        if (!roles.map(r -> r.runs(Role.INGEST)).orElse(false)) {
            return;
        }
        // In the background: a Kafka still starting must not hold up the service's start.
        CompletableFuture.runAsync(() -> {
            try {
                migrateGroupOffsets();
            } catch (RuntimeException e) {
                LOG.warnf("Could not move the old replay offsets into markers (tried again at the next start and"
                        + " at every replay): %s", e.getMessage());
            }
        });
    }

    /**
     * Sends every record not replayed yet back to its topic, and moves the markers past them, in one transaction.
     * Answers {@code replay-superseded} when a replay begun elsewhere took over before this one committed: that one
     * does the work, nothing is sent twice.
     */
    public synchronized Replay replay() {
        try (KafkaProducer<String, String> producer = producer();
                KafkaConsumer<String, String> consumer = consumer()) {
            try {
                // Fences any replay still running with the same id: from here on, only this one can commit.
                producer.initTransactions();
            } catch (KafkaException e) {
                throw unavailable("Cannot start a replay", e);
            }
            Markers markers = markers(consumer);
            List<ConsumerRecord<String, String>> records = read(consumer, markers.from());
            List<DeadLetter> replayed = new ArrayList<>();
            List<Refusal> refused = new ArrayList<>();
            Map<Integer, Long> next = new HashMap<>();
            try {
                producer.beginTransaction();
                for (ConsumerRecord<String, String> record : records) {
                    DeadLetter letter = describe(record);
                    if (TARGETS.contains(letter.topic())) {
                        producer.send(new ProducerRecord<>(letter.topic(), record.key(), record.value()));
                        replayed.add(letter);
                    } else {
                        refused.add(new Refusal(letter, "its dead-letter-topic header names " + letter.topic()
                                + ", not one of the relay's topics " + TARGETS + ": not sent"));
                    }
                    next.put(record.partition(), record.offset() + 1);
                }
                // Every partition gets its marker, also one with nothing to replay whose start came from the old
                // group offsets: those expire, markers do not.
                for (Map.Entry<TopicPartition, Long> start : markers.from().entrySet()) {
                    long offset = next.getOrDefault(start.getKey().partition(), start.getValue());
                    if (!Long.valueOf(offset).equals(markers.stored().get(start.getKey()))) {
                        producer.send(marker(start.getKey(), offset));
                    }
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                if (fenced(e)) {
                    throw new RelayException(Reason.REPLAY_SUPERSEDED, "Another replay (or a replica recording where"
                            + " earlier replays got to) began before this one finished; nothing of this one was sent:"
                            + " replay again", e);
                }
                abort(producer);
                throw unavailable("Replay of " + records.size() + " records failed, or its commit was not confirmed"
                        + " (GET /api/dead-letters lists what is still pending; nothing is sent twice)", e);
            }
            replayed.forEach(letter -> LOG.infof("Replayed dead letter %s-%d@%d (event %s) to %s", Topics.DEAD_LETTER,
                    letter.partition(), letter.offset(), letter.eventId(), letter.topic()));
            refused.forEach(refusal -> LOG.warnf("Dead letter %s-%d@%d (event %s) not replayed: %s",
                    Topics.DEAD_LETTER, refusal.record().partition(), refusal.record().offset(),
                    refusal.record().eventId(), refusal.why()));
            return new Replay(replayed, refused);
        }
    }

    private static boolean fenced(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ProducerFencedException || cause instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    private static void abort(KafkaProducer<String, String> producer) {
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            // The transaction times out on the broker and is aborted there; its records are never read committed.
            LOG.warnf("Could not abort the replay transaction: %s", e.getMessage());
        }
    }

    private static RelayException unavailable(String what, KafkaException e) {
        return new RelayException(Reason.KAFKA_UNAVAILABLE, what + ": " + e.getMessage(), e);
    }

    static String markerKey(int partition) {
        return Topics.DEAD_LETTER + "/" + partition;
    }

    private static ProducerRecord<String, String> marker(TopicPartition partition, long offset) {
        return new ProducerRecord<>(Topics.REPLAY_STATE, markerKey(partition.partition()), String.valueOf(offset));
    }

    /**
     * Where each partition's replay got to ({@code from}): its marker ({@code stored}), or, for a partition replayed
     * before markers existed, the offset the old consumer group committed ({@code legacy}); a partition never
     * replayed starts at the beginning.
     */
    private record Markers(Map<TopicPartition, Long> from, Map<TopicPartition, Long> stored,
            Map<TopicPartition, Long> legacy) {
    }

    private Markers markers(KafkaConsumer<String, String> consumer) {
        Map<TopicPartition, Long> stored = storedMarkers(consumer);
        Map<TopicPartition, Long> legacy = legacyOffsets(consumer);
        Map<TopicPartition, Long> from = new HashMap<>(stored);
        for (TopicPartition partition : partitions(consumer, Topics.DEAD_LETTER)) {
            from.putIfAbsent(partition, legacy.getOrDefault(partition, 0L));
        }
        return new Markers(from, stored, legacy);
    }

    /** The markers in relay.replay-state, newest per partition. */
    private Map<TopicPartition, Long> storedMarkers(KafkaConsumer<String, String> consumer) {
        Map<TopicPartition, Long> stored = new HashMap<>();
        List<TopicPartition> stateParts = partitions(consumer, Topics.REPLAY_STATE);
        consumer.assign(stateParts);
        consumer.seekToBeginning(stateParts);
        Map<TopicPartition, Long> end = consumer.endOffsets(stateParts, timeout);
        for (ConsumerRecord<String, String> record : drain(consumer, stateParts, end)) {
            String key = record.key();
            if (key != null && key.startsWith(Topics.DEAD_LETTER + "/") && record.value() != null) {
                try {
                    int partition = Integer.parseInt(key.substring(Topics.DEAD_LETTER.length() + 1));
                    stored.put(new TopicPartition(Topics.DEAD_LETTER, partition), Long.parseLong(record.value()));
                } catch (NumberFormatException e) {
                    LOG.warnf("Ignoring an unreadable replay marker %s=%s", key, record.value());
                }
            }
        }
        return stored;
    }

    /** Where the old consumer group recorded its replays, per partition that has an offset. */
    private Map<TopicPartition, Long> legacyOffsets(KafkaConsumer<String, String> consumer) {
        Map<TopicPartition, Long> legacy = new HashMap<>();
        consumer.committed(new HashSet<>(partitions(consumer, Topics.DEAD_LETTER)), timeout)
                .forEach((partition, offset) -> {
                    if (offset != null) {
                        legacy.put(partition, offset.offset());
                    }
                });
        return legacy;
    }

    /** Reads from the markers up to the end offsets as they were when the call began. */
    private List<ConsumerRecord<String, String>> read(KafkaConsumer<String, String> consumer,
            Map<TopicPartition, Long> from) {
        List<TopicPartition> partitions = List.copyOf(from.keySet());
        consumer.assign(partitions);
        Map<TopicPartition, Long> beginning = consumer.beginningOffsets(partitions, timeout);
        for (TopicPartition partition : partitions) {
            consumer.seek(partition, Math.max(from.get(partition), beginning.get(partition)));
        }
        return drain(consumer, partitions, consumer.endOffsets(partitions, timeout));
    }

    private List<ConsumerRecord<String, String>> drain(KafkaConsumer<String, String> consumer,
            List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp(consumer, partitions, end)) {
            if (System.nanoTime() > deadline) {
                throw new RelayException(Reason.KAFKA_UNAVAILABLE, "Could not read " + partitions + " to its end within "
                        + timeout.toSeconds() + " s");
            }
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

    private List<TopicPartition> partitions(KafkaConsumer<String, String> consumer, String topic) {
        return consumer.partitionsFor(topic, timeout).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, GROUP,
                ConsumerConfig.CLIENT_ID_CONFIG, "gitops-relay-replay-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Records and markers of a replay that did not commit are never seen.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new StringDeserializer());
    }

    private KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(kafka.with(Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, "gitops-relay-replay-" + UUID.randomUUID(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) TRANSACTION_TIMEOUT.toMillis(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000)),
                new StringSerializer(), new StringSerializer());
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
