package org.gitopsrelay.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.gitopsrelay.event.OutcomeEvent;
import org.gitopsrelay.event.OutcomeEvent.DeploymentCommitted;
import org.gitopsrelay.event.OutcomeEvent.DeploymentFailed;
import org.gitopsrelay.shared.RelayMetrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The four DORA keys from deployment events: deployment frequency (every deployment, by outcome), lead time for
 * changes (oldest source commit → GitOps commit), change failures, and failed deployment recovery time (first
 * failure of an environment → its next successful deployment). Open failures live in a {@link FailureLedger}, so a
 * recovery spanning a restart is still measured.
 */
public final class DoraMetrics {

    /** DORA's performance bands are minutes, hours, days and weeks: buckets at those edges. */
    private static final Duration[] BUCKETS = { Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofHours(1), Duration.ofHours(4), Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(30) };

    /** Where open change failures are remembered: when each app environment first failed, until it recovers. */
    public interface FailureLedger {
        Optional<Instant> failingSince(String app, String environment);

        void failed(String app, String environment, Instant since);

        void recovered(String app, String environment);
    }

    private final MeterRegistry metrics;
    private final FailureLedger ledger;

    public DoraMetrics(MeterRegistry metrics, FailureLedger ledger) {
        this.metrics = metrics;
        this.ledger = ledger;
    }

    /** Records what one event says; {@code at} is when it happened (the CloudEvents time). */
    public void record(OutcomeEvent event, Instant at) {
        if (event instanceof DeploymentCommitted committed) {
            deployed(committed, at);
        } else if (event instanceof DeploymentFailed failed) {
            failed(failed, at);
        } else if (event instanceof OutcomeEvent.DeploymentRolledBack rolledBack) {
            rolledBack(rolledBack, at);
        }
    }

    /**
     * A rollback says the version it left failed: a change failure, open from now until the next deployment that is
     * not a rollback. The rollback itself is a deployment.
     */
    private void rolledBack(OutcomeEvent.DeploymentRolledBack event, Instant at) {
        changeFailed(event.app(), event.environment(), at, "committed");
    }

    // The ledger first: if Kafka fails there, nothing is counted yet and the whole event can be tried again.
    private void deployed(DeploymentCommitted event, Instant at) {
        String app = event.app();
        String environment = event.environment();
        Optional<Instant> since = ledger.failingSince(app, environment);
        if (since.isPresent()) {
            ledger.recovered(app, environment);
        }
        metrics.counter(RelayMetrics.DORA_DEPLOYMENTS, "app", app, "environment", environment, "outcome", "committed")
                .increment();
        if (event.committedAt() != null && !at.isBefore(event.committedAt())) {
            histogram(RelayMetrics.DORA_LEAD_TIME, app, environment, "stage", "committed")
                    .record(Duration.between(event.committedAt(), at));
        }
        if (since.isPresent() && !at.isBefore(since.get())) {
            histogram(RelayMetrics.DORA_RECOVERY_TIME, app, environment).record(Duration.between(since.get(), at));
        }
    }

    private void failed(DeploymentFailed event, Instant at) {
        changeFailed(event.app(), event.environment(), at, "failed");
    }

    /** A change failure: opened in the ledger (when none is open), then counted with the deployment's outcome. */
    private void changeFailed(String app, String environment, Instant at, String outcome) {
        if (ledger.failingSince(app, environment).isEmpty()) {
            ledger.failed(app, environment, at);
        }
        metrics.counter(RelayMetrics.DORA_DEPLOYMENTS, "app", app, "environment", environment, "outcome", outcome)
                .increment();
        metrics.counter(RelayMetrics.DORA_CHANGE_FAILURES, "app", app, "environment", environment).increment();
    }

    /**
     * Creates an environment's series at zero before its first event, so that Prometheus' {@code increase()} counts
     * that first deployment, failure or recovery (a series born at 1 shows no increase).
     */
    public void prepare(String app, String environment) {
        metrics.counter(RelayMetrics.DORA_DEPLOYMENTS, "app", app, "environment", environment, "outcome", "committed");
        metrics.counter(RelayMetrics.DORA_DEPLOYMENTS, "app", app, "environment", environment, "outcome", "failed");
        metrics.counter(RelayMetrics.DORA_CHANGE_FAILURES, "app", app, "environment", environment);
        histogram(RelayMetrics.DORA_LEAD_TIME, app, environment, "stage", "committed");
        histogram(RelayMetrics.DORA_RECOVERY_TIME, app, environment);
    }

    private Timer histogram(String name, String app, String environment, String... tags) {
        return Timer.builder(name).tag("app", app).tag("environment", environment).tags(tags)
                .serviceLevelObjectives(BUCKETS).register(metrics);
    }
}
