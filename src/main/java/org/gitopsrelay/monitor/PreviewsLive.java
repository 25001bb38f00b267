package org.gitopsrelay.monitor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.config.Role;
import org.gitopsrelay.config.Roles;
import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.Snapshot;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;

/**
 * {@code relay_previews_live{app}}: the preview folders of each app in the GitOps repository as last fetched. Read
 * from Git, not counted from events, so it is right after a restart and whoever opened or closed the previews.
 */
@ApplicationScoped
public class PreviewsLive {

    private static final Logger LOG = Logger.getLogger(PreviewsLive.class);

    private final GitOpsRepository repository;
    private final MeterRegistry metrics;
    private final Roles roles;
    private final Map<String, AtomicInteger> live = new ConcurrentHashMap<>();

    @Inject
    public PreviewsLive(GitOpsRepository repository, MeterRegistry metrics, Roles roles) {
        this.repository = repository;
        this.metrics = metrics;
        this.roles = roles;
    }

    @Scheduled(every = "${relay.gitops.refresh-interval}", delayed = "5s")
    public synchronized void refresh() {
        if (!roles.runs(Role.MONITOR)) {
            return;
        }
        Snapshot snapshot;
        try {
            snapshot = repository.current();
        } catch (RuntimeException e) {
            LOG.warnf("Live previews not counted (the last count stays): %s", e.getMessage());
            return;
        }
        var apps = snapshot.folders("apps");
        live.forEach((app, count) -> {
            if (!apps.contains(app)) {
                count.set(0);
            }
        });
        for (String app : apps) {
            int count = snapshot.countFolders("apps/" + app + "/previews");
            live.computeIfAbsent(app, this::register).set(count);
        }
    }

    private AtomicInteger register(String app) {
        AtomicInteger value = new AtomicInteger();
        Gauge.builder(RelayMetrics.PREVIEWS_LIVE, value, AtomicInteger::get).tag("app", app)
                .description("Live previews of the app").register(metrics);
        return value;
    }
}
