package org.gitopsrelay.app;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.gitopsrelay.gitops.GitOpsRepository;
import org.gitopsrelay.shared.RelayException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Keeps the app registry in step with the GitOps branch: at start (after seeding a new local repository), on a
 * schedule, and on demand when a webhook names a repository or ref no app follows yet. Scheduled and on-demand
 * refreshes run on a thread of their own, one at a time, so that no webhook thread ever fetches: a webhook only
 * waits, for as long as it chooses, for the refresh under way.
 */
@ApplicationScoped
public class RegistrySync {

    private static final Logger LOG = Logger.getLogger(RegistrySync.class);
    /** A webhook may trigger a fetch, but not sooner than this after the last refresh ended. */
    public static final Duration MIN_ON_DEMAND_INTERVAL = Duration.ofSeconds(2);

    private final GitOpsRepository repository;
    private final LocalSeed seed;
    private final AppRegistry registry;
    private final ExecutorService refresher = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "registry-refresh");
        thread.setDaemon(true);
        return thread;
    });
    /** The background refresh under way or last done; guarded by this. */
    private CompletableFuture<Void> background = CompletableFuture.completedFuture(null);
    /** When the last refresh, of any kind, ended (System.nanoTime); guarded by this. */
    private long lastEnded = System.nanoTime() - MIN_ON_DEMAND_INTERVAL.toNanos();
    /** Whether the last refresh failed: then the registry is not as fresh as it gets, and a webhook tries again. */
    private boolean lastFailed;

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
        inBackground(false);
    }

    /** Fetches the branch and re-reads the registrations if it moved, on this thread (a consumer's: it may wait). */
    public void refresh() {
        boolean done = false;
        try {
            fetchAndLoad();
            done = true;
        } finally {
            ended(done);
        }
    }

    private void fetchAndLoad() {
        repository.fetch();
        registry.refresh(repository::current);
    }

    /** Re-reads the registrations from the branch as last fetched or pushed, without asking the remote. */
    public void refreshFromCache() {
        registry.refresh(repository::current);
    }

    /**
     * The refresh a webhook may wait for: the background refresh under way, else a new one, unless the last refresh
     * ended moments ago (then empty: the registry is as fresh as it gets). The future fails when the refresh did
     * (already logged). Never fetches on the calling thread.
     */
    public Optional<CompletableFuture<Void>> refreshOnDemand() {
        return Optional.ofNullable(inBackground(true));
    }

    private synchronized CompletableFuture<Void> inBackground(boolean onlyIfStale) {
        if (!background.isDone()) {
            return background;
        }
        if (onlyIfStale && !lastFailed && System.nanoTime() - lastEnded < MIN_ON_DEMAND_INTERVAL.toNanos()) {
            return null;
        }
        try {
            background = CompletableFuture.runAsync(this::refreshLogged, refresher);
        } catch (RejectedExecutionException e) {
            // Shutting down: the registry stays as it is.
            return CompletableFuture.failedFuture(e);
        }
        return background;
    }

    private void refreshLogged() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.warnf("Cannot refresh the app registry: %s", e.getMessage());
            throw e;
        }
    }

    private synchronized void ended(boolean done) {
        lastEnded = System.nanoTime();
        lastFailed = !done;
    }

    @PreDestroy
    void stop() {
        refresher.shutdownNow();
    }
}
