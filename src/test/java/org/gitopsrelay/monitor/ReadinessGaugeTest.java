package org.gitopsrelay.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.gitopsrelay.shared.RelayMetrics;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class ReadinessGaugeTest {

    private static JsonObject payload(String... nameAndStatus) {
        var checks = Json.createArrayBuilder();
        for (int i = 0; i < nameAndStatus.length; i += 2) {
            checks.add(Json.createObjectBuilder().add("name", nameAndStatus[i]).add("status", nameAndStatus[i + 1]));
        }
        return Json.createObjectBuilder().add("status", "UP").add("checks", checks).build();
    }

    @Test
    void aCheckNameSeenOnlyWhileStartingDoesNotStayDownForEver() {
        SimpleMeterRegistry metrics = new SimpleMeterRegistry();
        ReadinessGauge gauge = new ReadinessGauge(null, metrics);

        gauge.record(payload("SmallRye Reactive Messaging - not yet initialized", "DOWN", "gitops-remote", "UP"));
        gauge.record(payload("SmallRye Reactive Messaging - readiness check", "UP", "gitops-remote", "DOWN"));

        assertThat(metrics.find(RelayMetrics.READINESS).gauges()).extracting(g -> g.getId().getTag("check"))
                .containsExactlyInAnyOrder("SmallRye Reactive Messaging - readiness check", "gitops-remote");
        assertThat(metrics.find(RelayMetrics.READINESS).tag("check", "gitops-remote").gauge()).extracting(
                Gauge::value).isEqualTo(0.0);
    }
}
