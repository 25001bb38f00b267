package org.gitopsrelay.gitops;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
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
    /** When the cache last matched the remote (a fetch or a push of ours); 0: never. */
    private volatile long lastSynced;

    @Inject
    public GitOpsRepository(RelayConfig config, GitOpsRemote remote, MeterRegistry metrics, Tracer tracer) {
        this.config = config;
        this.metrics = metrics;
        this.cache = new GitOpsCache(config.dataDir().resolve("gitops-cache.git"), config.gitops().branch());
        this.builder = new PlannedCommitBuilder(config.gitops().authorName(), config.gitops().authorEmail());
        this.transport = new GitOpsTransport(remote, config.gitops().branch(), metrics, tracer);
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
     * Applies a change: fetch, plan, commit, push. The planner (which renders, for as long as Kustomize takes) runs
     * without the write lock, on its snapshot; the lock is held only to fetch, and to commit and push. When another
     * writer of this process moved the branch meanwhile, the change is planned again on the new tip (no fetch); after
     * {@code relay.gitops.push-attempts} such overtakings the next plan runs under the lock, so a slow planner cannot
     * starve. When the push is rejected because another writer pushed first, fetch and plan again, with a jittered
     * back-off, at most {@code relay.gitops.push-attempts} times.
     */
    public <D> Applied<D> apply(ChangePlanner<D> planner) {
        int maxAttempts = Math.max(1, config.gitops().pushAttempts());
        Timings timings = new Timings();
        // Optimistic: a cache synced moments ago is planned on without asking the remote; a push on a tip someone
        // else moved is rejected, and then the branch is fetched and the change planned again.
        boolean fresh = !cacheIsRecent();
        Snapshot snapshot = fresh ? fetch(timings) : current();
        int overtaken = 0;
        int rejected = 0;
        for (int attempt = 1;; attempt++) {
            Step<D> step;
            try {
                if (overtaken >= maxAttempts) {
                    writeLock.lock();
                    try {
                        step = planAndPush(planner, current(), timings);
                    } finally {
                        writeLock.unlock();
                    }
                } else {
                    step = planAndPush(planner, snapshot, timings);
                }
            } catch (RelayException e) {
                // A refusal decided on the cache alone is checked against the remote before it stands.
                Optional<Snapshot> moved = fresh || e.reason().retryable() ? Optional.empty()
                        : movedOnFetch(snapshot, timings);
                if (moved.isEmpty()) {
                    throw e;
                }
                fresh = true;
                snapshot = moved.get();
                continue;
            }
            if (step.done() && !step.changed() && !fresh) {
                // "Nothing to do" decided on the cache alone: if the remote moved meanwhile, decide again on it.
                Optional<Snapshot> moved = movedOnFetch(snapshot, timings);
                fresh = true;
                if (moved.isPresent()) {
                    snapshot = moved.get();
                    continue;
                }
            }
            if (step.done()) {
                return new Applied<>(step.decision(), timings.outcome(step.commit(), step.changed(), attempt));
            }
            if (step.movedTo() != null) {
                overtaken++;
                LOG.debugf("Another writer committed while this change was planned (attempt %d); planning again",
                        attempt);
                snapshot = step.movedTo();
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
            snapshot = fetch(timings);
            fresh = true;
        }
    }

    /** Whether the cache was synced with the remote (fetched or pushed) within {@code relay.gitops.max-staleness}. */
    private boolean cacheIsRecent() {
        long synced = lastSynced;
        return synced != 0 && System.nanoTime() - synced <= config.gitops().maxStaleness().toNanos();
    }

    /** Fetches; the branch as fetched when it is no longer at {@code planned}'s commit. */
    private Optional<Snapshot> movedOnFetch(Snapshot planned, Timings timings) {
        Snapshot fetched = fetch(timings);
        return Objects.equals(fetched.commitId(), planned.commitId()) ? Optional.empty() : Optional.of(fetched);
    }

    /**
     * One attempt: plans on the snapshot (unlocked, unless the caller holds the lock), then, under the lock, commits
     * and pushes if the branch is still where the snapshot saw it.
     */
    private <D> Step<D> planAndPush(ChangePlanner<D> planner, Snapshot snapshot, Timings timings) {
        long t0 = System.nanoTime();
        Plan<D> decided = planner.plan(snapshot);
        Optional<PlannedCommit> plan = decided.commit();
        timings.planNanos += System.nanoTime() - t0;
        writeLock.lock();
        try {
            Snapshot tip = current();
            if (!Objects.equals(tip.commitId(), snapshot.commitId())) {
                return Step.moved(tip);
            }
            long t1 = System.nanoTime();
            ObjectId commit = plan.isEmpty() ? null : builder.build(cache.repository(), snapshot, plan.get());
            long t2 = System.nanoTime();
            timings.commitNanos += t2 - t1;
            if (commit == null) {
                return Step.done(snapshot.commit().orElse(null), false, decided.decision());
            }
            boolean pushed = transport.push(cache, commit);
            if (pushed) {
                lastSynced = System.nanoTime();
            }
            timings.pushNanos += System.nanoTime() - t2;
            return pushed ? Step.done(commit.name(), true, decided.decision()) : Step.rejected();
        } finally {
            writeLock.unlock();
        }
    }

    /** Fetches under the lock; the time counted is the fetch's, not the wait for the lock. */
    private Snapshot fetch(Timings timings) {
        writeLock.lock();
        try {
            long t0 = System.nanoTime();
            try {
                return fetchLocked();
            } finally {
                timings.fetchNanos += System.nanoTime() - t0;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** What one attempt came to: done (with the tip and whether it is new), overtaken, or rejected by the remote. */
    private record Step<D>(boolean done, String commit, boolean changed, Snapshot movedTo, D decision) {

        static <D> Step<D> done(String commit, boolean changed, D decision) {
            return new Step<>(true, commit, changed, null, decision);
        }

        static <D> Step<D> moved(Snapshot tip) {
            return new Step<>(false, null, false, tip, null);
        }

        static <D> Step<D> rejected() {
            return new Step<>(false, null, false, null, null);
        }
    }

    /** Time spent in each step over all attempts; waits for the write lock are in none of them. */
    private static final class Timings {
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

    @PreDestroy
    void close() {
        cache.close();
    }

    private static long millis(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }
}
