package org.gitopsrelay.monitor;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.app.AppRegistry;
import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.event.BackupReport;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.shared.SeenEvents;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * The monitor role's view of {@code relay.backups}: counts reports, and keeps when each environment's latest backup
 * succeeded as a gauge that alerts compare with the clock. That time is also written to {@code relay.monitor-state},
 * so that a restarted monitor shows it at once: a gauge that vanished at a restart would silence the very alert that
 * says backups stopped.
 */
@ApplicationScoped
public class BackupMonitor {

    public static final String CHANNEL = "backups-monitor";
    private static final Logger LOG = Logger.getLogger(BackupMonitor.class);

    private final MeterRegistry metrics;
    private final AppRegistry registry;
    private final Roles roles;
    private final MonitorState state;
    private final SeenEvents seen;
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
    private final Set<String> expectedKeys = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    @Inject
    public BackupMonitor(MeterRegistry metrics, AppRegistry registry, Roles roles, MonitorState state,
            RelayConfig config) {
        this.metrics = metrics;
        this.registry = registry;
        this.roles = roles;
        this.state = state;
        this.seen = new SeenEvents(config.kafka().seenEvents());
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public void observe(String value) {
        RelayEvent event;
        BackupReport report;
        try {
            event = EventCodec.decode(value);
            report = EventCodec.fromData(event, BackupReport.class);
        } catch (IllegalArgumentException e) {
            LOG.warnf("Monitor skipped an unreadable record on relay.backups: %s", e.getMessage());
            return;
        }
        if (seen.contains(event.id()) || report.app() == null || report.environment() == null) {
            return;
        }
        metrics.counter(RelayMetrics.BACKUPS, "app", report.app(), "environment", report.environment(), "kind",
                String.valueOf(report.kind()), "outcome", String.valueOf(report.outcome())).increment();
        if (!report.succeeded()) {
            // The reason is in the event; said here too, where an operator looking at the relay finds it.
            LOG.warnf("A %s of %s/%s failed (event %s, object %s): %s", report.kind(), report.app(),
                    report.environment(), event.id(), report.objectKey(), report.message());
        }
        if (BackupReport.BACKUP.equals(report.kind()) && report.succeeded() && report.finishedAt() != null) {
            if (report.sizeBytes() != null) {
                DistributionSummary.builder(RelayMetrics.BACKUP_SIZE).baseUnit("bytes").tag("app", report.app())
                        .tag("environment", report.environment()).register(metrics).record(report.sizeBytes());
            }
            if (report.startedAt() != null) {
                Timer.builder(RelayMetrics.BACKUP_DURATION).tag("app", report.app())
                        .tag("environment", report.environment()).register(metrics).record(report.duration());
            }
            succeeded(report.app(), report.environment(), report.finishedAt());
        }
        seen.firstTime(event.id());
    }

    /** Moves the environment's gauge forward (never back: reports may arrive out of order) and records it. */
    private void succeeded(String app, String environment, Instant finishedAt) {
        long seconds = finishedAt.getEpochSecond();
        AtomicLong gauge = gauge(app, environment, seconds);
        if (gauge.getAndAccumulate(seconds, Math::max) > seconds) {
            return;
        }
        state.whenKafkaAllows("a backup's time", () -> state.put(key(app, environment), String.valueOf(seconds)),
                () -> closing);
    }

    /**
     * Shows the recorded times of every registered app with a database, whether or not a report came since this
     * process started; an environment never backed up stays without a series, which the absence alert catches.
     */
    @Scheduled(every = "${relay.gitops.refresh-interval}", delayed = "4s")
    public void restore() {
        if (!roles.runs(Role.MONITOR)) {
            return;
        }
        Set<String> expected = new HashSet<>();
        for (AppSpec app : registry.apps().values()) {
            if (app.database().isEmpty()) {
                continue;
            }
            for (var env : app.environments()) {
                expected.add(app.name() + "/" + env.name());
                expectedGauge(app.name(), env.name());
                try {
                    state.get(key(app.name(), env.name())).map(Long::parseLong).ifPresent(seconds -> gauge(
                            app.name(), env.name(), seconds).accumulateAndGet(seconds, Math::max));
                } catch (RelayException | NumberFormatException e) {
                    LOG.warnf("Monitor could not read the recorded backup time of %s/%s yet: %s", app.name(),
                            env.name(), e.getMessage());
                }
            }
        }
        for (String known : List.copyOf(expectedKeys)) {
            if (!expected.contains(known)) {
                expectedKeys.remove(known);
                removeSeries(RelayMetrics.BACKUP_EXPECTED, known);
            }
        }
        if (registry.apps().isEmpty()) {
            // Not loaded yet: nothing can be told gone.
            return;
        }
        // An app or environment gone: its time goes too, or its backup alert would fire for nothing. The recorded
        // time stays in relay.monitor-state, for when it comes back.
        for (String known : List.copyOf(lastSuccess.keySet())) {
            String[] names = known.split("/", 2);
            if (registry.app(names[0]).flatMap(app -> app.environment(names[1])).isEmpty()) {
                lastSuccess.remove(known);
                removeSeries(RelayMetrics.BACKUP_LAST_SUCCESS, known);
            }
        }
    }

    private void removeSeries(String name, String appAndEnvironment) {
        String[] names = appAndEnvironment.split("/", 2);
        Series.remove(metrics, name, "app", names[0], "environment", names[1]);
    }

    /** 1 for each environment whose database should be backed up: the alerts find those never backed up. */
    private void expectedGauge(String app, String environment) {
        if (expectedKeys.add(app + "/" + environment)) {
            Series.remove(metrics, RelayMetrics.BACKUP_EXPECTED, "app", app, "environment", environment);
            Gauge.builder(RelayMetrics.BACKUP_EXPECTED, () -> 1).tag("app", app).tag("environment", environment)
                    .register(metrics);
        }
    }

    /** The environment's gauge, made with its first value: never a moment at 0, which would read as 1970. */
    private AtomicLong gauge(String app, String environment, long seconds) {
        return lastSuccess.computeIfAbsent(app + "/" + environment, key -> {
            AtomicLong value = new AtomicLong(seconds);
            Series.remove(metrics, RelayMetrics.BACKUP_LAST_SUCCESS, "app", app, "environment", environment);
            Gauge.builder(RelayMetrics.BACKUP_LAST_SUCCESS, value, AtomicLong::get).tag("app", app)
                    .tag("environment", environment).register(metrics);
            return value;
        });
    }

    private static String key(String app, String environment) {
        return "backup-success/" + app + "/" + environment;
    }

    @PreDestroy
    void close() {
        closing = true;
    }
}
