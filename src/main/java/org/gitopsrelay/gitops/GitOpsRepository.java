package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.tracing.Spans;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;

/**
 * The service's view of the GitOps repository: a bare local cache of the remote branch, read through
 * {@link Snapshot}s and written by building commits in memory and pushing them. There is no working tree: a commit
 * costs what its change costs. Writers of this process plan at once and commit one at a time, each on the tip it
 * planned on (planning again when another went first); other writers (people, other replicas) are handled by
 * fetching and re-applying when a push is rejected.
 */
@ApplicationScoped
public class GitOpsRepository {

    private static final Logger LOG = Logger.getLogger(GitOpsRepository.class);

    private final RelayConfig config;
    private final GitOpsRemote remote;
    private final MeterRegistry metrics;
    private final Tracer tracer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile Repository cache;

    @Inject
    public GitOpsRepository(RelayConfig config, GitOpsRemote remote, MeterRegistry metrics, Tracer tracer) {
        this.config = config;
        this.remote = remote;
        this.metrics = metrics;
        this.tracer = tracer;
    }

    private String trackingRef() {
        return "refs/remotes/origin/" + config.gitops().branch();
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
        Repository repository = repository();
        Timer.Sample sample = Timer.start(metrics);
        // A fetch is traced as part of the work that needs it; the periodic registry refresh alone makes no trace.
        Span span = Span.current().getSpanContext().isValid()
                ? tracer.spanBuilder(Spans.GITOPS_FETCH).setAttribute(Spans.GITOPS_BRANCH, config.gitops().branch())
                        .startSpan()
                : Span.getInvalid();
        try (Git git = new Git(repository)) {
            remote.configure(git.fetch()
                    .setRemote(remote.url())
                    // Objects from the remote are checked: a crafted tree must not reach a renderer's folder.
                    .setCheckFetchedObjects(true)
                    .setRefSpecs(new RefSpec("+refs/heads/" + config.gitops().branch() + ":" + trackingRef()))
                    .setRemoveDeletedRefs(true))
                    .call();
        } catch (GitAPIException | RuntimeException e) {
            if (!branchExists()) {
                // A new, empty remote: the branch will be created by the first push.
                return new Snapshot(repository, null, null);
            }
            RelayException failure = new RelayException(Reason.GIT_UNAVAILABLE,
                    "Cannot fetch " + remote.displayUrl() + ": " + e.getMessage(), e);
            throw Spans.failed(span, failure, failure.reason().tag());
        } finally {
            span.end();
            sample.stop(metrics.timer(RelayMetrics.GIT_FETCH));
        }
        return current();
    }

    /** Asks the remote whether the branch exists; an unreachable remote is an error, not a missing branch. */
    private boolean branchExists() {
        try {
            return remote.configure(Git.lsRemoteRepository().setRemote(remote.url()).setHeads(true)).call().stream()
                    .anyMatch(ref -> ref.getName().equals("refs/heads/" + config.gitops().branch()));
        } catch (GitAPIException | RuntimeException e) {
            throw new RelayException(Reason.GIT_UNAVAILABLE,
                    "Cannot reach " + remote.displayUrl() + ": " + e.getMessage(), e);
        }
    }

    /** The branch as last fetched or pushed, without asking the remote. */
    public Snapshot current() {
        Repository repository = repository();
        try (RevWalk walk = new RevWalk(repository)) {
            Ref ref = repository.exactRef(trackingRef());
            if (ref == null) {
                return new Snapshot(repository, null, null);
            }
            RevCommit commit = walk.parseCommit(ref.getObjectId());
            return new Snapshot(repository, commit.getId(), commit.getTree());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps cache", e);
        }
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
        Snapshot snapshot = fetch(timings);
        int overtaken = 0;
        int rejected = 0;
        for (int attempt = 1;; attempt++) {
            Step<D> step;
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
                throw new RelayException(Reason.GIT_PUSH_CONFLICT, "The push to " + remote.displayUrl()
                        + " was still rejected after " + rejected + " attempts: other writers keep pushing first");
            }
            LOG.infof("Push to %s rejected (attempt %d of %d): another writer pushed first; fetching and re-applying",
                    remote.displayUrl(), rejected, maxAttempts);
            backOff(rejected);
            snapshot = fetch(timings);
        }
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
            ObjectId commit = plan.isEmpty() ? null : buildCommit(snapshot, plan.get());
            long t2 = System.nanoTime();
            timings.commitNanos += t2 - t1;
            if (commit == null) {
                return Step.done(snapshot.commit().orElse(null), false, decided.decision());
            }
            boolean pushed = push(commit);
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

    /** Builds the commit in memory on top of the snapshot; null when it would change nothing. */
    private ObjectId buildCommit(Snapshot snapshot, PlannedCommit plan) {
        Repository repository = repository();
        try (ObjectInserter inserter = repository.newObjectInserter();
                ObjectReader reader = repository.newObjectReader()) {
            ObjectId tree = TreeUpdate.apply(reader, inserter, snapshot.tree(), plan.edit());
            if (snapshot.tree() != null && tree.equals(snapshot.tree().getId())) {
                return null;
            }
            PersonIdent author = new PersonIdent(config.gitops().authorName(), config.gitops().authorEmail());
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(tree);
            if (snapshot.commitId() != null) {
                commit.setParentId(snapshot.commitId());
            }
            commit.setAuthor(author);
            commit.setCommitter(author);
            commit.setMessage(plan.fullMessage());
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot build the GitOps commit", e);
        }
    }

    /** True when the remote took the commit; false when another writer pushed first. */
    private boolean push(ObjectId commit) {
        String branchRef = "refs/heads/" + config.gitops().branch();
        Span span = tracer.spanBuilder(Spans.GITOPS_PUSH).setAttribute(Spans.GITOPS_BRANCH, config.gitops().branch())
                .setAttribute(Spans.GITOPS_COMMIT, commit.name()).startSpan();
        try {
            boolean pushed = sendPush(commit, branchRef);
            if (!pushed) {
                span.setAttribute(Spans.GITOPS_REJECTED, true);
            }
            return pushed;
        } catch (RelayException e) {
            throw Spans.failed(span, e, e.reason().tag());
        } finally {
            span.end();
        }
    }

    private boolean sendPush(ObjectId commit, String branchRef) {
        Timer.Sample sample = Timer.start(metrics);
        Iterable<PushResult> results;
        try (Git git = new Git(repository())) {
            results = remote.configure(git.push()
                    .setRemote(remote.url())
                    .setRefSpecs(new RefSpec(commit.name() + ":" + branchRef)))
                    .call();
        } catch (GitAPIException | RuntimeException e) {
            throw new RelayException(Reason.GIT_UNAVAILABLE,
                    "Cannot push to " + remote.displayUrl() + ": " + e.getMessage(), e);
        } finally {
            sample.stop(metrics.timer(RelayMetrics.GIT_PUSH));
        }
        for (PushResult result : results) {
            RemoteRefUpdate update = result.getRemoteUpdate(branchRef);
            if (update == null) {
                continue;
            }
            switch (update.getStatus()) {
                case OK, UP_TO_DATE -> {
                    moveTrackingRef(commit);
                    return true;
                }
                case REJECTED_NONFASTFORWARD, REJECTED_REMOTE_CHANGED -> {
                    return false;
                }
                // A lock held by a concurrent push, a hook, a protected branch: retried with bounds, then dead-lettered.
                default -> throw new RelayException(Reason.GIT_PUSH_REJECTED, "The push to " + remote.displayUrl()
                        + " was refused: " + update.getStatus()
                        + (update.getMessage() == null ? "" : " (" + update.getMessage() + ")"));
            }
        }
        throw new RelayException(Reason.GIT_UNAVAILABLE, "The push to " + remote.displayUrl() + " reported nothing");
    }

    /** After a push, the cache knows the new tip without fetching it back. */
    private void moveTrackingRef(ObjectId commit) {
        try {
            RefUpdate update = repository().updateRef(trackingRef());
            update.setNewObjectId(commit);
            update.setForceUpdate(true);
            RefUpdate.Result result = update.update();
            if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED
                    && result != RefUpdate.Result.FAST_FORWARD && result != RefUpdate.Result.NO_CHANGE) {
                // The push landed; the next attempt fetches it and finds the change already there.
                throw new RelayException(Reason.GIT_UNAVAILABLE, "Pushed " + commit.name()
                        + " but cannot record it in the GitOps cache: " + result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot update the GitOps cache", e);
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

    private Repository repository() {
        Repository repository = cache;
        if (repository == null) {
            synchronized (this) {
                if (cache == null) {
                    cache = openCache();
                }
                repository = cache;
            }
        }
        return repository;
    }

    private Repository openCache() {
        Path dir = config.dataDir().resolve("gitops-cache.git").toAbsolutePath().normalize();
        try {
            if (!Files.exists(dir.resolve("HEAD"))) {
                Files.createDirectories(dir);
                Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch(config.gitops().branch())
                        .call().close();
            }
            return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
        } catch (IOException | GitAPIException e) {
            throw new IllegalStateException("Cannot open the GitOps cache in " + dir, e);
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
        int depth = config.gitops().trailerSearchDepth();
        Snapshot snapshot = current();
        if (snapshot.commitId() == null) {
            return Optional.empty();
        }
        String trailer = "\nRelay-Event: " + eventId + "\n";
        Repository repository = repository();
        try (RevWalk walk = new RevWalk(repository)) {
            walk.markStart(walk.parseCommit(snapshot.commitId()));
            int seen = 0;
            for (RevCommit commit : walk) {
                if (commit.getFullMessage().contains(trailer)) {
                    Snapshot before = commit.getParentCount() == 0 ? new Snapshot(repository, null, null)
                            : parent(walk, commit);
                    return Optional.of(new EventCommit(commit.name(), commit.getFullMessage(), before));
                }
                if (++seen >= depth) {
                    break;
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps history", e);
        }
    }

    private Snapshot parent(RevWalk walk, RevCommit commit) throws IOException {
        RevCommit parent = walk.parseCommit(commit.getParent(0));
        return new Snapshot(repository(), parent.getId(), parent.getTree());
    }

    @PreDestroy
    void close() {
        Repository repository = cache;
        if (repository != null) {
            repository.close();
        }
    }

    private static long millis(long nanos) {
        return Duration.ofNanos(nanos).toMillis();
    }
}
