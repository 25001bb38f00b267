package org.gitopsrelay.kafka;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.Topics;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

/**
 * Creates the relay topics with the configured partition count before anything consumes them. Topics that exist are
 * left as they are (a cluster's operators may have sized them on purpose).
 */
@ApplicationScoped
public class TopicBootstrap {

    private static final Logger LOG = Logger.getLogger(TopicBootstrap.class);

    private final RelayConfig config;
    private final KafkaClientConfig kafka;

    @Inject
    public TopicBootstrap(RelayConfig config, KafkaClientConfig kafka) {
        this.config = config;
        this.kafka = kafka;
    }

    private NewTopic newTopic(String name) {
        NewTopic topic = new NewTopic(name, config.kafka().partitions(), config.kafka().replicationFactor());
        if (name.equals(Topics.DEAD_LETTER)) {
            // What failed waits for its fix and a replay, however long that takes: never deleted by age.
            return topic.configs(Map.of("retention.ms", "-1"));
        }
        if (name.equals(Topics.NOTIFIER_THREADS)) {
            // Thread roots of long-closed previews and old deployments need not be kept for ever.
            return topic.configs(Map.of("cleanup.policy", "compact,delete", "retention.ms",
                    String.valueOf(java.time.Duration.ofDays(90).toMillis())));
        }
        return Topics.COMPACTED.contains(name) ? topic.configs(Map.of("cleanup.policy", "compact")) : topic;
    }

    void onStart(@Observes @Priority(1) StartupEvent event) {
        try (Admin admin = Admin.create(kafka.with(Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000)))) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = Topics.ALL.stream().filter(topic -> !existing.contains(topic))
                    .map(this::newTopic).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
                LOG.infof("Created topics %s with %d partitions", missing.stream().map(NewTopic::name).toList(),
                        config.kafka().partitions());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warnf("Cannot create the relay topics on %s: %s (consumers wait for them; webhooks answer 503 until"
                    + " Kafka is reachable)", kafka.bootstrapServers(), e.getMessage());
        }
    }
}
