package org.gitopsrelay.gitops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.jgit.lib.ObjectId;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Tracer;

/**
 * The service's view of the GitOps repository: a bare local cache of the remote branch, read through
 * {@link Snapshot}s and written by building commits in memory and pushing them. There is no working tree: a commit
 * costs what its change costs. Writers of this process plan at once and commit one at a time, each on the tip it
 * planned on (planning again when another went first); other writers (people, other replicas) are handled by
 * fetching and re-applying when a push is rejected. This class decides when to fetch, plan, commit and push, and
 * holds the write lock; {@link GitOpsCache} keeps the local copy, {@link PlannedCommitBuilder} turns a plan into a
 * commit and {@link GitOpsTransport} moves commits to and from the remote.
 */
@ApplicationScoped
public class GitOpsRepository {

    private static final Logger LOG = Logger.getLogger(GitOpsRepository.class);

    private final RelayConfig config;
    private final MeterRegistry metrics;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final GitOpsCache cache;
    private final PlannedCommitBuilder builder;
    private final GitOpsTransport transport;
    private final ParallelPlanning planning;
    /** When the cache last matched the remote (a fetch or a push of ours); 0: never. */
    private volatile long lastSynced;
    /** When this process last pushed; 0: never. */
    private volatile long lastPushed;
    private final GitOpsRemote remote;
    /** Loose objects each repository kept at its last packing (unreachable ones, in their grace period). */
    private final Map<String, Integer> leftLoose = new java.util.concurrent.ConcurrentHashMap<>();

    @Inject
    public GitOpsRepository(RelayConfig config, GitOpsRemote remote, MeterRegistry metrics, Tracer tracer) {
        this.config = config;
        this.metrics = metrics;
        this.remote = remote;
        this.cache = new GitOpsCache(config.dataDir().resolve("gitops-cache.git"), config.gitops().branch());
        this.builder = new PlannedCommitBuilder(config.gitops().authorName(), config.gitops().authorEmail());
        this.transport = new GitOpsTransport(remote, config.gitops().branch(), metrics, tracer);
        int parallelism = config.render().parallelism();
        this.planning = new ParallelPlanning(parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors());
    }

    /**
     * Fetches the remote branch and returns it as it is now. Serialised with pushes, so that a fetch begun before a
     * push can never move the cache back behind what was just pushed.
     */
    public Snapshot fetch() {
        writeLock.lock();
        try {
            return fetchLocked();
        } finally {
            writeLock.unlock();
        }
    }

    private Snapshot fetchLocked() {
        // A new, empty remote has no branch: the first push creates it.
        Snapshot fetched = transport.fetch(cache) ? cache.current() : cache.empty();
        lastSynced = System.nanoTime();
        return fetched;
    }

    /** The branch as last fetched or pushed, without asking the remote. */
    public Snapshot current() {
        return cache.current();
    }

    /**
     * Applies a change: plan, commit, push; see {@link #applyAll}. A refusal by the planner is thrown.
     */
    public <D> Applied<D> apply(ChangePlanner<D> planner) {
        ChangeResult<D> result = applyTogether(List.of(planner)).get(0);
        if (result instanceof ChangeResult.Refused<D> refused) {
            throw refused.error();
        }
        return ((ChangeResult.Done<D>) result).applied();
    }

    /**
     * Applies a batch of changes, each planned on the same snapshot (in parallel, up to
     * {@code relay.render.parallelism} at a time: planning is mostly rendering), then committed one after the other
     * in the order given, each on the previous, and sent in one push. The changes must touch different files; a
     * planner that throws refuses its change alone.
     * <p>
     * Optimistic: a cache synced within {@code relay.gitops.max-staleness} is planned on without asking the remote,
     * and a refusal or a "nothing to do" decided on it is checked by a fetch before it stands. When another writer of
     * this process moved the branch meanwhile, the batch is planned again on the new tip (no fetch; a change whose
     * planner reads only a folder the new commits left alone keeps its plan, see {@link ChangePlanner#readsOnly}); after
     * {@code relay.gitops.push-attempts} such overtakings the next plan runs under the lock, so a slow planner cannot
     * starve. When the push is rejected because another writer pushed first, fetch and plan again, with a jittered
     * back-off, at most {@code relay.gitops.push-attempts} times. When the remote refuses the push otherwise (a hook,
     * a protected path), the changes are pushed one at a time, so that only the one it refuses fails; any other
     * failure of the push throws for the batch.
     */
    public <D> List<ChangeResult<D>> applyAll(List<? extends ChangePlanner<D>> planners) {
        try {
            return applyTogether(planners);
        } catch (RelayException e) {
            if (e.reason() != Reason.GIT_PUSH_REJECTED || planners.size() < 2) {
                throw e;
            }
            // The remote refused the batch's push for a reason of its own (a hook, a rule on paths or messages):
            // perhaps for one change alone. Each change goes on its own, so only what the remote refuses fails.
            LOG.warnf("The push of a batch of %d changes was refused (%s); pushing them one at a time",
                    planners.size(), e.getMessage());
            List<ChangeResult<D>> results = new ArrayList<>(planners.size());
            for (ChangePlanner<D> planner : planners) {
                try {
                    results.add(new ChangeResult.Done<>(apply(planner)));
                } catch (RelayException refused) {
                    results.add(new ChangeResult.Refused<>(refused));
                }
            }
            return results;
        }
    }

    private <D> List<ChangeResult<D>> applyTogether(List<? extends ChangePlanner<D>> planners) {
        int maxAttempts = Math.max(1, config.gitops().pushAttempts());
        Run run = new Run();
        run.fresh = !cacheIsRecent();
        Snapshot snapshot = run.fresh ? fetch(run) : current();
        int overtaken = 0;
        int rejected = 0;
        for (int attempt = 1;; attempt++) {
            Step<D> step;
            if (overtaken >= maxAttempts) {
                writeLock.lock();
                try {
                    step = planAndPush(planners, current(), run);
                } finally {
                    writeLock.unlock();
                }
            } else {
                step = planAndPush(planners, snapshot, run);
            }
            if (step instanceof Step.Settled<D> settled) {
                return settled.results(run, attempt);
            }
            if (step instanceof Step.Moved<D> moved) {
                if (!moved.fetched()) {
                    overtaken++;
                    LOG.debugf("Another writer committed while this change was planned (attempt %d); planning again",
                            attempt);
                }
                snapshot = moved.tip();
                continue;
            }
            rejected++;
            metrics.counter(RelayMetrics.GIT_PUSH_CONFLICTS).increment();
            if (rejected >= maxAttempts) {
                throw new RelayException(Reason.GIT_PUSH_CONFLICT, "The push to " + transport.displayUrl()
                        + " was still rejected after " + rejected + " attempts: other writers keep pushing first");
            }
            LOG.infof("Push to %s rejected (attempt %d of %d): another writer pushed first; fetching and re-applying",
                    transport.displayUrl(), rejected, maxAttempts);
            backOff(rejected);
            snapshot = fetch(run);
        }
    }

    /** Whether the cache was synced with the remote (fetched or pushed) within {@code relay.gitops.max-staleness}. */
    private boolean cacheIsRecent() {
        long synced = lastSynced;
        return synced != 0 && System.nanoTime() - synced <= config.gitops().maxStaleness().toNanos();
    }

    /** Fetches; the branch as fetched when it is no longer at {@code planned}'s commit. */
    private Optional<Snapshot> movedOnFetch(Snapshot planned, Run run) {
        Snapshot fetched = fetch(run);
        return Objects.equals(fetched.commitId(), planned.commitId()) ? Optional.empty() : Optional.of(fetched);
    }

    /**
     * One attempt: plans every change on the snapshot (unlocked, unless the caller holds the lock), then, under the
     * lock, commits them in order and pushes the last if the branch is still where the snapshot saw it.
     */
    private <D> Step<D> planAndPush(List<? extends ChangePlanner<D>> planners, Snapshot snapshot, Run run) {
        long t0 = System.nanoTime();
        List<Object> plans = planOrReuse(planners, snapshot, run);
        run.plans = plans;
        run.plannedOn = snapshot;
        run.planNanos += System.nanoTime() - t0;
        if (!run.fresh && plans.stream().anyMatch(GitOpsRepository::unsure)) {
            // A refusal or "nothing to do" decided on the cache alone: if the remote moved, decide again on it.
            Optional<Snapshot> moved = movedOnFetch(snapshot, run);
            if (moved.isPresent()) {
                return new Step.Moved<>(moved.get(), true);
            }
        }
        writeLock.lock();
        try {
            Snapshot tip = current();
            if (!Objects.equals(tip.commitId(), snapshot.commitId())) {
                return new Step.Moved<>(tip, false);
            }
            long t1 = System.nanoTime();
            List<String> commits = new ArrayList<>(plans.size());
            Snapshot parent = snapshot;
            try {
                for (Object plan : plans) {
                    ObjectId commit = plan instanceof Plan<?> planned && planned.commit().isPresent()
                            ? builder.build(cache.repository(), parent, planned.commit().get()) : null;
                    if (commit != null) {
                        parent = cache.at(commit);
                    }
                    commits.add(commit == null ? null : commit.name());
                }
            } catch (java.io.UncheckedIOException e) {
                // The cache's disk is full or failing: nothing was pushed, and the same change may go through later.
                throw RelayException.of(e);
            }
            long t2 = System.nanoTime();
            run.commitNanos += t2 - t1;
            String base = snapshot.commit().orElse(null);
            if (parent == snapshot) {
                return new Step.Settled<>(plans, commits, base);
            }
            boolean pushed = transport.push(cache, parent.commitId());
            if (pushed) {
                lastSynced = System.nanoTime();
                lastPushed = lastSynced;
            }
            run.pushNanos += System.nanoTime() - t2;
            return pushed ? new Step.Settled<>(plans, commits, base) : new Step.Rejected<>();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The plans for this snapshot: those of the last attempt whose planner reads only a folder that the commits
     * since left alone are kept, and only the others are planned again; so a person pushing elsewhere all along
     * costs the batch a fetch and a push per attempt, not its renders. Commits of the relay's own (another replica)
     * always mean planning again: a plan also reads which events the history holds.
     */
    private <D> List<Object> planOrReuse(List<? extends ChangePlanner<D>> planners, Snapshot snapshot, Run run) {
        Optional<Set<String>> changed = run.plans == null ? Optional.empty()
                : snapshot.changedSince(run.plannedOn, config.gitops().trailerSearchDepth());
        List<Object> plans = new ArrayList<>(java.util.Collections.nCopies(planners.size(), null));
        List<Integer> again = new ArrayList<>();
        for (int i = 0; i < planners.size(); i++) {
            Optional<String> folder = planners.get(i).readsOnly();
            if (changed.isPresent() && folder.isPresent() && run.plans.get(i) instanceof Plan<?>
                    && changed.get().stream().noneMatch(path -> path.startsWith(folder.get()))) {
                plans.set(i, run.plans.get(i));
            } else {
                again.add(i);
            }
        }
        if (again.size() < planners.size()) {
            LOG.debugf("Re-applying %d of %d plans as they were: the commits since changed nothing they read",
                    planners.size() - again.size(), planners.size());
        }
        List<Object> planned = planning.planAll(again.stream().map(planners::get).toList(), snapshot);
        for (int k = 0; k < again.size(); k++) {
            plans.set(again.get(k), planned.get(k));
        }
        return plans;
    }

    /** A decision that a fetch must confirm when it was made on the cache alone: a refusal, or nothing to commit. */
    private static boolean unsure(Object plan) {
        if (plan instanceof RelayException refused) {
            return !refused.reason().retryable();
        }
        return ((Plan<?>) plan).commit().isEmpty();
    }

    /** Fetches under the lock; the time counted is the fetch's, not the wait for the lock. */
    private Snapshot fetch(Run run) {
        writeLock.lock();
        try {
            long t0 = System.nanoTime();
            try {
                return fetchLocked();
            } finally {
                run.fetchNanos += System.nanoTime() - t0;
                run.fresh = true;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * What one attempt came to: settled (each plan, a {@link Plan} or the {@link RelayException} its planner threw,
     * with the commit made for it, if any), moved on, or rejected by the remote.
     */
    private sealed interface Step<D> {

        /** {@code base}: the commit the plans were made on, reported for a change that needed no commit. */
        record Settled<D>(List<Object> plans, List<String> commits, String base) implements Step<D> {

            @SuppressWarnings("unchecked")
            List<ChangeResult<D>> results(Run run, int attempts) {
                List<ChangeResult<D>> results = new ArrayList<>(plans.size());
                for (int i = 0; i < plans.size(); i++) {
                    Object plan = plans.get(i);
                    if (plan instanceof RelayException refused) {
                        results.add(new ChangeResult.Refused<>(refused));
                    } else {
                        String commit = commits.get(i);
                        results.add(new ChangeResult.Done<>(new Applied<>(((Plan<D>) plan).decision(),
                                run.outcome(commit == null ? base : commit, commit != null, attempts))));
                    }
                }
                return results;
            }
        }

        /** The branch is not where the plans were made: by another writer of this process, or found on a fetch. */
        record Moved<D>(Snapshot tip, boolean fetched) implements Step<D> {
        }

        record Rejected<D>() implements Step<D> {
        }
    }

    /**
     * One call of {@link #applyAll}: whether its snapshot was fetched (not just the cache), and the time spent in each
     * step over all attempts; waits for the write lock are in none of them.
     */
    private static final class Run {
        boolean fresh;
        /** The last attempt's plans, and the snapshot they were made on. */
        List<Object> plans;
        Snapshot plannedOn;
        long fetchNanos;
        long planNanos;
        long commitNanos;
        long pushNanos;

        CommitOutcome outcome(String commit, boolean changed, int attempts) {
            return new CommitOutcome(commit, changed, attempts, millis(fetchNanos),
                    millis(planNanos), millis(commitNanos), millis(pushNanos));
        }
    }

    private void backOff(int attempt) {
        long base = config.gitops().retryBackoff().toMillis() * (1L << Math.min(attempt - 1, 6));
        long jittered = base / 2 + ThreadLocalRandom.current().nextLong(base + 1);
        try {
            Thread.sleep(jittered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RelayException(Reason.GIT_UNAVAILABLE, "Interrupted while waiting to retry a push", e);
        }
    }

    /** A commit an event made: its id, its message, and the branch just before it. */
    public record EventCommit(String id, String message, Snapshot before) {
    }

    /**
     * The newest commit, among the last {@code relay.gitops.trailer-search-depth} of the branch as last fetched,
     * whose message names the event in a {@code Relay-Event:} trailer.
     */
    public Optional<String> commitOfEvent(String eventId) {
        return eventCommit(eventId).map(EventCommit::id);
    }

    /** As {@link #commitOfEvent}, with the commit's message and the branch before it. */
    public Optional<EventCommit> eventCommit(String eventId) {
        return cache.eventCommit(eventId, config.gitops().trailerSearchDepth());
    }

    /**
     * Packs the cache, and the local GitOps repository when the service owns it, if due (see {@link Housekeeping}):
     * under the write lock, so that no commit is being built or pushed meanwhile. What was decided, by repository.
     */
    Map<String, Housekeeping.Decision> packWhenDue() {
        RelayConfig.GitOps.Packing limits = config.gitops().packing();
        long pushed = lastPushed;
        Duration sincePush = pushed == 0 ? ChronoUnit.FOREVER.getDuration()
                : Duration.ofNanos(System.nanoTime() - pushed);
        Map<String, Housekeeping.Decision> decisions = new LinkedHashMap<>();
        if (cache.openedOrNull() != null) {
            decisions.put("cache", packWhenDue("cache", cache.dir(), limits, sincePush));
        }
        Optional<Path> local = remote.localDir();
        if (local.isPresent() && Files.exists(local.get().resolve("HEAD"))) {
            decisions.put("local", packWhenDue("local", local.get(), limits, sincePush));
        }
        return decisions;
    }

    /** One repository per hold of the lock: a change waiting for it waits for one packing, not two. */
    private Housekeeping.Decision packWhenDue(String which, Path dir, RelayConfig.GitOps.Packing limits,
            Duration sincePush) {
        writeLock.lock();
        try {
            return packLocked(which, dir, limits, sincePush);
        } finally {
            writeLock.unlock();
        }
    }

    private Housekeeping.Decision packLocked(String which, Path dir, RelayConfig.GitOps.Packing limits,
            Duration sincePush) {
        Housekeeping.Decision decision;
        try {
            // Loose objects no commit reaches stay after a packing, for Git's two weeks of grace: counted from what
            // the last packing left, or every check would pack again for them.
            Housekeeping.Count count = Housekeeping.count(dir);
            int left = leftLoose.getOrDefault(which, 0);
            Housekeeping.Count grown = new Housekeeping.Count(count.packs(),
                    Math.max(0, count.looseObjects() - left));
            decision = Housekeeping.decide(grown, limits.packLimit(), limits.looseLimit(), sincePush, limits.idle());
        } catch (IOException e) {
            LOG.warnf("Cannot count the objects of %s: %s", dir, e.getMessage());
            return new Housekeeping.Fine(new Housekeeping.Count(0, 0));
        }
        if (decision instanceof Housekeeping.Pack due) {
            LOG.infof("Packing %s (%d packs, %d new loose objects%s); changes wait for it", dir, due.count().packs(),
                    due.count().looseObjects(), due.busy() ? ", far past the limits while busy" : "");
            Timer.Sample sample = Timer.start(metrics);
            String outcome = "packed";
            try {
                Housekeeping.pack(dir);
            } catch (RuntimeException e) {
                // A full disk, say: nothing is lost (packing writes the new pack before removing the old ones).
                outcome = "failed";
                LOG.warnf("Cannot pack %s: %s", dir, e.getMessage());
            } finally {
                long nanos = sample.stop(metrics.timer(RelayMetrics.GIT_PACKING, "repository", which, "outcome",
                        outcome));
                if (outcome.equals("packed")) {
                    LOG.infof("Packed %s in %d ms", dir, millis(nanos));
                    try {
                        leftLoose.put(which, Housekeeping.count(dir).looseObjects());
                    } catch (IOException e) {
                        LOG.warnf("Cannot count the objects of %s after packing: %s", dir, e.getMessage());
                    }
                }
            }
        }
        return decision;
    }

    @PreDestroy
    void close() {
        planning.close();
        // A push under way finishes first, so that what it pushed is recorded in the cache; not forever.
        boolean locked = false;
        try {
            locked = writeLock.tryLock(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            cache.close();
        } finally {
            if (locked) {
                writeLock.unlock();
            }
        }
    }

    private static long millis(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }
}
