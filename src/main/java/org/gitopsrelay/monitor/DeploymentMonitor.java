package org.gitopsrelay.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.shared.SeenEvents;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * The monitor role: its own consumer group on {@code relay.deployments}, turning deployment events into Prometheus
 * metrics, DORA's among them. It only counts; it can never slow a deployment down.
 */
@ApplicationScoped
public class DeploymentMonitor {

    public static final String CHANNEL = "deployments-monitor";
    private static final Logger LOG = Logger.getLogger(DeploymentMonitor.class);

    private final MeterRegistry metrics;
    private final PreviewsLive previewsLive;
    private final SeenEvents seen;
    private final MonitorState state;
    private final DoraMetrics dora;
    private final AppRegistry registry;
    private final Roles roles;
    private volatile boolean closing;

    @Inject
    public DeploymentMonitor(MeterRegistry metrics, PreviewsLive previewsLive, MonitorState state,
            RelayConfig config, AppRegistry registry, Roles roles) {
        this.metrics = metrics;
        this.previewsLive = previewsLive;
        this.registry = registry;
        this.roles = roles;
        this.state = state;
        this.seen = new SeenEvents(config.kafka().seenEvents());
        this.dora = new DoraMetrics(metrics, new KeyValueTopicLedger(state));
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public void observe(String value) {
        RelayEvent event;
        Optional<OutcomeEvent> outcome;
        try {
            event = EventCodec.decode(value);
            outcome = EventCodec.outcome(event);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Monitor skipped an unreadable record on relay.deployments: %s", e.getMessage());
            return;
        }
        if (outcome.isEmpty() || seen.contains(event.id())) {
            return;
        }
        Instant at = event.time() == null ? Instant.now() : event.time();
        try {
            state.whenKafkaAllows("DORA figures", () -> dora.record(outcome.get(), at), () -> closing);
        } catch (RuntimeException e) {
            if (closing) {
                // Stopping while Kafka is away: left uncommitted, counted after the restart.
                throw e;
            }
            // One event the monitor cannot read must not stop it; it is named and counted so that it is looked at.
            LOG.errorf(e, "Monitor could not count event %s (%s)", event.id(), event.type());
            metrics.counter(RelayMetrics.MONITOR_SKIPPED, "type", event.type()).increment();
            return;
        }
        seen.firstTime(event.id());
        if (outcome.get() instanceof OutcomeEvent.DeploymentCommitted committed) {
            count(committed.app(), committed.environment(), "committed");
            if (committed.acceptedAt() != null && !at.isBefore(committed.acceptedAt())) {
                Timer.builder(RelayMetrics.DEPLOYMENT_LEAD_TIME).tag("app", committed.app())
                        .tag("environment", committed.environment()).publishPercentileHistogram().register(metrics)
                        .record(Duration.between(committed.acceptedAt(), at));
            }
        } else if (outcome.get() instanceof OutcomeEvent.DeploymentFailed failed) {
            count(failed.app(), failed.environment(), "failed");
        } else if (outcome.get() instanceof OutcomeEvent.PreviewEvent) {
            previewsLive.refresh();
        }
    }

    /** Every registered app's environments get their DORA series at zero, so the first event counts. */
    @Scheduled(every = "${relay.gitops.refresh-interval}", delayed = "3s")
    void prepareSeries() {
        if (!roles.runs(Role.MONITOR)) {
            return;
        }
        for (AppSpec app : registry.apps().values()) {
            app.environments().forEach(env -> dora.prepare(app.name(), env.name()));
        }
    }

    private void count(String app, String environment, String outcome) {
        metrics.counter(RelayMetrics.DEPLOYMENTS, "app", app, "environment", environment, "outcome", outcome)
                .increment();
    }

    @PreDestroy
    void close() {
        closing = true;
    }
}
