package org.gitopsrelay.app;

import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.gitops.LocalSeed;
import org.gitopsrelay.pipeline.RelayException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Keeps the app registry in step with the GitOps branch: at start (after seeding a new local repository), on a
 * schedule, and on demand when a webhook names a repository no app registers yet.
 */
@ApplicationScoped
public class RegistrySync {

    private static final Logger LOG = Logger.getLogger(RegistrySync.class);
    /** A webhook for an unknown repository may trigger a fetch, but not more often than this. */
    private static final long MIN_ON_DEMAND_INTERVAL_MILLIS = 2000;

    private final GitOpsRepository repository;
    private final LocalSeed seed;
    private final AppRegistry registry;
    private final AtomicLong lastFetch = new AtomicLong();

    @Inject
    public RegistrySync(GitOpsRepository repository, LocalSeed seed, AppRegistry registry) {
        this.repository = repository;
        this.seed = seed;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        try {
            seed.seedIfEmpty();
            refresh();
        } catch (RelayException e) {
            LOG.warnf("The GitOps repository is not reachable yet (%s); retrying on schedule", e.getMessage());
        }
    }

    @Scheduled(every = "${relay.gitops.refresh-interval:PT30S}", delayed = "${relay.gitops.refresh-interval:PT30S}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh();
        } catch (RelayException e) {
            LOG.warnf("Cannot refresh the app registry: %s", e.getMessage());
        }
    }

    /** Fetches the branch and re-reads the registrations if it moved. */
    public void refresh() {
        lastFetch.set(System.currentTimeMillis());
        fetchAndLoad();
    }

    private void fetchAndLoad() {
        repository.fetch();
        registry.refresh(repository::current);
    }

    /** Re-reads the registrations from the branch as last fetched or pushed, without asking the remote. */
    public void refreshFromCache() {
        registry.refresh(repository::current);
    }

    /** Refreshes unless that was done moments ago; true when it refreshed. */
    public boolean refreshIfStale() {
        long last = lastFetch.get();
        long now = System.currentTimeMillis();
        if (now - last < MIN_ON_DEMAND_INTERVAL_MILLIS || !lastFetch.compareAndSet(last, now)) {
            return false;
        }
        try {
            fetchAndLoad();
            return true;
        } catch (RelayException e) {
            LOG.warnf("Cannot refresh the app registry: %s", e.getMessage());
            return false;
        }
    }
}
