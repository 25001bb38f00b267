package org.gitopsrelay.monitor;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;

/**
 * {@code relay_consumer_lag_records{group}}: records each relay consumer group has not committed yet, from the
 * brokers' committed offsets. Unlike the client's fetch lag, it grows when a consumer is stuck in a handler or has
 * stopped, which is when it matters. Measured by the monitor role, one Admin request per group.
 */
@ApplicationScoped
public class ConsumerLag {

    private static final Logger LOG = Logger.getLogger(ConsumerLag.class);
    /** The relay's consumer groups and the topic each reads. */
    static final Map<String, String> GROUPS = Map.of(
            "gitops-relay-handlers", Topics.GIT_EVENTS,
            "gitops-relay-monitor", Topics.DEPLOYMENTS,
            "gitops-relay-backups-monitor", Topics.BACKUPS,
            "gitops-relay-notifier", Topics.DEPLOYMENTS,
            "gitops-relay-notifier-replay", Topics.NOTIFIER_REPLAY);

    private final MeterRegistry metrics;
    private final Roles roles;
    private final KafkaClientConfig kafka;
    private final Duration timeout;
    private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();
    private Admin admin;

    @Inject
    public ConsumerLag(MeterRegistry metrics, Roles roles, RelayConfig config,
            KafkaClientConfig kafka) {
        this.metrics = metrics;
        this.roles = roles;
        this.kafka = kafka;
        this.timeout = config.kafka().sendTimeout();
    }

    @Scheduled(every = "${relay.gitops.refresh-interval}", delayed = "10s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void measure() {
        if (!roles.runs(Role.MONITOR)) {
            return;
        }
        for (Map.Entry<String, String> group : GROUPS.entrySet()) {
            try {
                // Measured first: a group never measured has no series, rather than a lag of 0 that never alerts.
                long lag = lag(group.getKey(), group.getValue());
                lags.computeIfAbsent(group.getKey(), this::register).set(lag);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException | KafkaException e) {
                // The last value stays: a Kafka that cannot be asked shows in relay_readiness instead.
                LOG.warnf("Consumer lag of %s not measured: %s", group.getKey(), e.getMessage());
                metrics.counter(RelayMetrics.CONSUMER_LAG_FAILURES, "group", group.getKey()).increment();
            }
        }
    }

    /** Records of {@code topic} after the group's committed offsets (from the start where it committed none). */
    public long lag(String group, String topic) throws InterruptedException, ExecutionException, TimeoutException {
        Admin client = admin();
        Set<TopicPartition> partitions = client.describeTopics(Set.of(topic)).allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(topic).partitions().stream()
                .map(info -> new TopicPartition(topic, info.partition())).collect(Collectors.toSet());
        Map<TopicPartition, OffsetAndMetadata> committed = client.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> end = offsets(client, partitions,
                OffsetSpec.latest());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> start = offsets(client, partitions,
                OffsetSpec.earliest());
        long lag = 0;
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata done = committed.get(partition);
            long from = done == null ? start.get(partition).offset() : done.offset();
            lag += Math.max(0, end.get(partition).offset() - from);
        }
        return lag;
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(Admin client,
            Set<TopicPartition> partitions, OffsetSpec spec)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(partition -> request.put(partition, spec));
        return client.listOffsets(request).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(kafka.with(Map.of(AdminClientConfig.CLIENT_ID_CONFIG, "gitops-relay-lag",
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis())));
        }
        return admin;
    }

    private AtomicLong register(String group) {
        AtomicLong value = new AtomicLong();
        Series.remove(metrics, RelayMetrics.CONSUMER_LAG, "group", group);
        Gauge.builder(RelayMetrics.CONSUMER_LAG, value, AtomicLong::get).tag("group", group)
                .description("Records the consumer group has not committed yet").register(metrics);
        return value;
    }

    @PreDestroy
    synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }
}
