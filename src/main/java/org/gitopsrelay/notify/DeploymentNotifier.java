package org.gitopsrelay.notify;

import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.app.NotificationSettings;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.kafka.EventPublisher;
import org.gitopsrelay.kafka.KafkaClientConfig;
import org.gitopsrelay.kafka.KeyValueTopic;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.shared.SeenEvents;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * The notifier role: its own consumer group on {@code relay.deployments}, so a slow or failing Mattermost never
 * delays a deployment. Each event goes to where its app's notifications go ({@link NotificationRoute}); in REST API
 * mode a preview's events, and a production deployment's, share one thread whose root is remembered in the
 * compacted topic {@code relay.notifier-threads}. A notification Mattermost does not take within its retry budget
 * goes to {@code relay.dead-letter}; a replay sends it to {@code relay.notifier-replay}, which only the notifier
 * reads.
 */
@ApplicationScoped
public class DeploymentNotifier {

    public static final String CHANNEL = "deployments-notifier";
    public static final String REPLAY_CHANNEL = "notifier-replay";
    private static final Logger LOG = Logger.getLogger(DeploymentNotifier.class);
    private static final Logger NOTIFICATIONS = Logger.getLogger("gitops-relay.notifications");

    private final RelayConfig config;
    private final AppRegistry registry;
    private final MattermostSender sender;
    private final EventPublisher publisher;
    private final MeterRegistry metrics;
    private final SeenEvents delivered;
    private final KeyValueTopic threads;
    private volatile boolean closing;

    @Inject
    public DeploymentNotifier(RelayConfig config, AppRegistry registry, MattermostSender sender,
            EventPublisher publisher, MeterRegistry metrics,
            KafkaClientConfig kafka) {
        this.config = config;
        this.delivered = new SeenEvents(config.kafka().seenEvents());
        this.registry = registry;
        this.sender = sender;
        this.publisher = publisher;
        this.metrics = metrics;
        this.threads = new KeyValueTopic(Topics.NOTIFIER_THREADS, kafka, publisher, config.kafka().sendTimeout());
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public void notify(ConsumerRecord<String, String> record) {
        handle(record);
    }

    @Incoming(REPLAY_CHANNEL)
    @Blocking(ordered = true)
    public void replayed(ConsumerRecord<String, String> record) {
        handle(record);
    }

    /**
     * One at a time across both channels: two events of one thread must not both open it. Whatever goes wrong with
     * one notification dead-letters it with its reason; only when even that is impossible (Kafka gone while the
     * service stops) does the exception leave, and the channel's {@code fail} strategy keeps its offset uncommitted.
     */
    synchronized void handle(ConsumerRecord<String, String> record) {
        RelayEvent event;
        Optional<OutcomeEvent> outcome;
        try {
            event = EventCodec.decode(record.value());
            outcome = EventCodec.outcome(event);
        } catch (IllegalArgumentException e) {
            deadLetter(record, new RelayException(Reason.UNREADABLE_EVENT, e.getMessage(), e), "unreadable");
            return;
        }
        if (outcome.isEmpty() || delivered.contains(event.id())) {
            return;
        }
        Optional<AppSpec> app = registry.app(outcome.get().app());
        Optional<NotificationSettings> settings = app.map(AppSpec::notifications);
        settings.flatMap(NotificationSettings::mattermostWebhook)
                .filter(name -> NotificationRoute.webhookNamed(config.mattermost().webhooks(), name).isEmpty())
                .ifPresent(name -> LOG.warnf("App %s names the Mattermost webhook '%s', which is not configured"
                        + " (relay.mattermost.webhooks.%s): its notifications go to the default", outcome.get().app(),
                        name, name));
        NotificationRoute route = NotificationRoute.of(config.mattermost(), settings);
        try {
            deliver(event, outcome.get(), route, new NotificationText(app.map(AppSpec::source),
                    config.gitops().webUrl()));
            delivered.firstTime(event.id());
        } catch (RelayException e) {
            deadLetter(record, e, route.sink());
        } catch (RuntimeException e) {
            deadLetter(record, new RelayException(Reason.INTERNAL, "Unexpected failure: " + e.getClass().getName()
                    + ": " + e.getMessage(), e), route.sink());
        }
    }

    private void deliver(RelayEvent event, OutcomeEvent outcome, NotificationRoute route, NotificationText text) {
        String eventId = event.id();
        switch (route.kind()) {
            case LOG -> {
                Message message = text.line(outcome);
                if (outcome instanceof OutcomeEvent.DeploymentFailed || outcome instanceof OutcomeEvent.AppInvalid
                        || outcome instanceof OutcomeEvent.PreviewRefused) {
                    NOTIFICATIONS.warnf("[%s] %s", outcome.app(), message.logText());
                } else {
                    NOTIFICATIONS.infof("[%s] %s", outcome.app(), message.logText());
                }
                count(route.sink(), "sent");
            }
            case WEBHOOK -> {
                sender.postWebhook(route.target(), text.line(outcome), eventId);
                count(route.sink(), "sent");
            }
            case API -> postInThread(eventId, event.time(), outcome, route.target(), text);
        }
    }

    private void postInThread(String eventId, java.time.Instant at, OutcomeEvent outcome, String channelId,
            NotificationText text) {
        Optional<String> key = ThreadPlanner.threadKey(outcome, config.mattermost().threadedEnvironments());
        Optional<ThreadState> thread = key.flatMap(threads::get).map(DeploymentNotifier::readThread);
        NotificationPlan plan = ThreadPlanner.plan(outcome, eventId, at, text, true, key, thread);
        if (plan instanceof NotificationPlan.Skip skip) {
            LOG.debugf("Notification skipped: %s", skip.why());
            count(MattermostSender.SINK_API, "skipped");
            return;
        }
        if (plan instanceof NotificationPlan.Single single) {
            sender.createPost(channelId, null, single.message(), eventId);
        } else if (plan instanceof NotificationPlan.OpenThread open) {
            String root = sender.createPost(channelId, null, open.root(), eventId);
            threads.put(open.key(), writeThread(ThreadState.opened(root, channelId, eventId, open.closed(), at)));
        } else if (plan instanceof NotificationPlan.Reply reply) {
            // The root first: a failure before the reply leaves nothing half-posted for a replay to repeat.
            ThreadState state = reply.thread();
            if (reply.root() != null) {
                sender.patchPost(state.rootPostId(), reply.root(), eventId);
            }
            sender.createPost(state.channelId(), state.rootPostId(), reply.reply(), eventId);
            threads.put(reply.key(), writeThread(state.with(eventId, reply.closed(), at)));
        }
        count(MattermostSender.SINK_API, "sent");
    }

    private void deadLetter(ConsumerRecord<String, String> record, RelayException failure, String sink) {
        RelayException cause = new RelayException(failure.reason(), redact(failure.getMessage()));
        LOG.errorf("Notification of record %s-%d@%d goes to the dead-letter topic (%s): %s", record.topic(),
                record.partition(), record.offset(), cause.reason().tag(), cause.getMessage());
        for (int attempt = 1;; attempt++) {
            if (closing) {
                throw new RelayException(Reason.KAFKA_UNAVAILABLE, "Stopping before the notification of record "
                        + record.topic() + "-" + record.partition() + "@" + record.offset() + " could be"
                        + " dead-lettered: it is left uncommitted, to be handled after the restart");
            }
            try {
                publisher.deadLetter(Topics.NOTIFIER_REPLAY, record.key(), record.value(), cause);
                count(sink, "dead-lettered");
                metrics.counter(RelayMetrics.DEAD_LETTERS, "reason", cause.reason().tag()).increment();
                return;
            } catch (RelayException e) {
                if (!e.reason().retryable()) {
                    // Kafka will refuse again: the record stays uncommitted and the channel fails, loudly.
                    throw e;
                }
                // Kafka is down: the notification waits for it rather than being lost; deployments are not held up.
                LOG.warnf("Cannot dead-letter the notification yet (attempt %d): %s", attempt, e.getMessage());
                try {
                    Thread.sleep(config.mattermost().maxBackoff().toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A message may quote a URL from the client's error: no configured secret leaves in a log or a header. */
    private String redact(String message) {
        String text = message == null ? "" : message;
        RelayConfig.Mattermost mattermost = config.mattermost();
        for (String secret : secrets(mattermost)) {
            if (!secret.isBlank()) {
                text = text.replace(secret, "***");
            }
        }
        return text;
    }

    private static java.util.List<String> secrets(RelayConfig.Mattermost mattermost) {
        java.util.List<String> secrets = new java.util.ArrayList<>(mattermost.webhooks().values());
        mattermost.webhookUrl().ifPresent(secrets::add);
        mattermost.token().ifPresent(secrets::add);
        return secrets;
    }

    private void count(String sink, String outcome) {
        metrics.counter(RelayMetrics.NOTIFICATIONS, "sink", sink, "outcome", outcome).increment();
    }

    private static ThreadState readThread(String json) {
        try {
            return EventCodec.JSON.readValue(json, ThreadState.class);
        } catch (JsonProcessingException e) {
            throw new RelayException(Reason.UNREADABLE_EVENT, "Unreadable thread state: " + e.getOriginalMessage(), e);
        }
    }

    private static String writeThread(ThreadState state) {
        try {
            return EventCodec.JSON.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // Not synchronized: a notification stuck waiting for Kafka must not hold up the stop.
    @PreDestroy
    void close() {
        closing = true;
        threads.close();
    }
}
