package org.gitopsrelay.monitor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.health.SmallRyeHealthReporter;

/**
 * {@code relay_readiness{check}}: each readiness check (Kafka, the GitOps remote, the messaging channels) as 1 or 0,
 * so that an alert can say which part is down, from the same checks as {@code /q/health/ready}.
 */
@ApplicationScoped
public class ReadinessGauge {

    private static final Logger LOG = Logger.getLogger(ReadinessGauge.class);

    private final SmallRyeHealthReporter health;
    private final MeterRegistry metrics;
    private final Map<String, AtomicInteger> checks = new ConcurrentHashMap<>();

    @Inject
    public ReadinessGauge(SmallRyeHealthReporter health, MeterRegistry metrics) {
        this.health = health;
        this.metrics = metrics;
    }

    @Scheduled(every = "15s", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refresh() {
        JsonObject payload;
        try {
            payload = health.getReadiness().getPayload();
        } catch (RuntimeException e) {
            // A check that cannot even be asked is not ready: never leave the last "up" standing.
            LOG.warnf("Readiness could not be read, every check counts as down: %s", e.getMessage());
            checks.values().forEach(check -> check.set(0));
            return;
        }
        record(payload);
    }

    /**
     * Sets each reported check's series; a check no longer reported loses its series, or a name a check had only
     * while starting ("... not yet initialized") would read 0 for ever and keep an alert firing.
     */
    void record(JsonObject payload) {
        java.util.Set<String> reported = new java.util.HashSet<>();
        for (JsonValue value : payload.getJsonArray("checks")) {
            JsonObject check = value.asJsonObject();
            String name = check.getString("name", "unnamed");
            reported.add(name);
            checks.computeIfAbsent(name, this::register).set("UP".equals(check.getString("status", "DOWN")) ? 1 : 0);
        }
        checks.keySet().removeIf(name -> {
            if (reported.contains(name)) {
                return false;
            }
            Series.remove(metrics, RelayMetrics.READINESS, "check", name);
            return true;
        });
    }

    private AtomicInteger register(String check) {
        AtomicInteger value = new AtomicInteger();
        Gauge.builder(RelayMetrics.READINESS, value, AtomicInteger::get).tag("check", check)
                .description("1 while this readiness check is up").register(metrics);
        return value;
    }
}
