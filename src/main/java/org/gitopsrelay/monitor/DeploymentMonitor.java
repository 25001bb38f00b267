package org.gitopsrelay.monitor;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.pipeline.SeenEvents;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The monitor role: its own consumer group on {@code relay.deployments}, turning deployment events into Prometheus
 * metrics. It only counts; it can never slow a deployment down.
 */
@ApplicationScoped
public class DeploymentMonitor {

    public static final String CHANNEL = "deployments-monitor";
    private static final Logger LOG = Logger.getLogger(DeploymentMonitor.class);

    private final MeterRegistry metrics;
    private final SeenEvents seen = new SeenEvents(10_000);

    @Inject
    public DeploymentMonitor(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    @Incoming(CHANNEL)
    public void observe(String value) {
        RelayEvent event;
        try {
            event = EventCodec.decode(value);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Monitor skipped an unreadable record on relay.deployments: %s", e.getMessage());
            return;
        }
        if (!seen.firstTime(event.id())) {
            return;
        }
        JsonNode data = event.data() == null ? EventCodec.JSON.createObjectNode() : event.data();
        String outcome = switch (event.type()) {
            case EventTypes.DEPLOYMENT_COMMITTED -> "committed";
            case EventTypes.DEPLOYMENT_FAILED -> "failed";
            default -> null;
        };
        if (outcome == null) {
            return;
        }
        String environment = data.path("environment").asText("unknown");
        metrics.counter(RelayMetrics.DEPLOYMENTS, "app", event.app(), "environment", environment, "outcome", outcome)
                .increment();
        JsonNode accepted = data.get("acceptedAt");
        if ("committed".equals(outcome) && accepted != null && accepted.isTextual() && event.time() != null) {
            Duration lead = Duration.between(Instant.parse(accepted.asText()), event.time());
            if (!lead.isNegative()) {
                Timer.builder(RelayMetrics.DEPLOYMENT_LEAD_TIME).tag("app", event.app()).tag("environment", environment)
                        .publishPercentileHistogram().register(metrics).record(lead);
            }
        }
    }
}
