package org.gitopsrelay.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.shared.RelayMetrics;
import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class DoraMetricsTest {

    private static final Instant T = Instant.parse("2026-11-24T10:00:00Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Map<String, Instant> open = new HashMap<>();
    private final DoraMetrics dora = new DoraMetrics(registry, new DoraMetrics.FailureLedger() {
        @Override
        public Optional<Instant> failingSince(String app, String environment) {
            return Optional.ofNullable(open.get(app + "/" + environment));
        }

        @Override
        public void failed(String app, String environment, Instant since) {
            open.put(app + "/" + environment, since);
        }

        @Override
        public void recovered(String app, String environment) {
            open.remove(app + "/" + environment);
        }
    });

    private static OutcomeEvent.DeploymentCommitted committed(String env, Instant committedAt) {
        return new OutcomeEvent.DeploymentCommitted("shop", env, "img:1", "github.com/example/shop", "main", "abc",
                committedAt, "alice", "def", "t", null, null);
    }

    private static OutcomeEvent.DeploymentFailed failed(String env) {
        return new OutcomeEvent.DeploymentFailed("shop", env, "img:1", "github.com/example/shop", "main", "abc", null,
                "alice", "t", null, "render-failed", "boom");
    }

    @Test
    void leadTimeRunsFromTheOldestSourceCommitToTheGitOpsCommit() {
        dora.record(committed("staging", T.minus(Duration.ofMinutes(42))), T);
        var timer = registry.find(RelayMetrics.DORA_LEAD_TIME).tag("stage", "committed").tag("environment", "staging")
                .timer();
        assertThat(timer.count()).isEqualTo(1);
        assertThat(timer.totalTime(TimeUnit.MINUTES)).isEqualTo(42.0);
        assertThat(registry.find(RelayMetrics.DORA_DEPLOYMENTS).tag("outcome", "committed").counter().count())
                .isEqualTo(1);
    }

    @Test
    void recoveryTimeRunsFromTheFirstFailureToTheNextSuccessOfThatEnvironmentOnly() {
        dora.record(failed("production"), T);
        dora.record(failed("production"), T.plus(Duration.ofMinutes(5)));
        dora.record(committed("staging", null), T.plus(Duration.ofMinutes(10)));
        assertThat(registry.find(RelayMetrics.DORA_RECOVERY_TIME).timer()).isNull();

        dora.record(committed("production", null), T.plus(Duration.ofMinutes(30)));
        var recovery = registry.find(RelayMetrics.DORA_RECOVERY_TIME).tag("environment", "production").timer();
        assertThat(recovery.count()).isEqualTo(1);
        assertThat(recovery.totalTime(TimeUnit.MINUTES)).isEqualTo(30.0);
        assertThat(registry.find(RelayMetrics.DORA_CHANGE_FAILURES).tag("environment", "production").counter()
                .count()).isEqualTo(2);
        assertThat(open).isEmpty();

        dora.record(committed("production", null), T.plus(Duration.ofMinutes(40)));
        assertThat(recovery.count()).as("a success with nothing failing is no recovery").isEqualTo(1);
    }
}
