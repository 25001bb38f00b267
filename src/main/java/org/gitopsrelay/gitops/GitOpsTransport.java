package org.gitopsrelay.gitops;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.TrackingRefUpdate;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.tracing.Spans;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;

/**
 * Moves commits between the cache and the remote: fetches the branch into the cache's tracking ref, pushes a commit
 * to the branch. Timed and traced; every failure is a {@link RelayException} with the remote named without
 * credentials.
 */
final class GitOpsTransport {

    private final GitOpsRemote remote;
    private final String branch;
    private final MeterRegistry metrics;
    private final Tracer tracer;

    GitOpsTransport(GitOpsRemote remote, String branch, MeterRegistry metrics, Tracer tracer) {
        this.remote = remote;
        this.branch = branch;
        this.metrics = metrics;
        this.tracer = tracer;
    }

    String displayUrl() {
        return remote.displayUrl();
    }

    /** Fetches the branch into the cache; false when the remote has no such branch yet (a new, empty remote). */
    boolean fetch(GitOpsCache cache) {
        Timer.Sample sample = Timer.start(metrics);
        // A fetch is traced as part of the work that needs it; the periodic registry refresh alone makes no trace.
        Span span = Span.current().getSpanContext().isValid()
                ? tracer.spanBuilder(Spans.GITOPS_FETCH).setAttribute(Spans.GITOPS_BRANCH, branch).startSpan()
                : Span.getInvalid();
        try (Git git = new Git(cache.repository())) {
            FetchResult result;
            try {
                result = remote.configure(git.fetch()
                        .setRemote(remote.url())
                        // Objects from the remote are checked: a crafted tree must not reach a renderer's folder.
                        .setCheckFetchedObjects(true)
                        .setRefSpecs(new RefSpec("+refs/heads/" + branch + ":" + cache.trackingRef()))
                        .setRemoveDeletedRefs(true))
                        .call();
            } catch (GitAPIException | RuntimeException e) {
                if (!branchExists()) {
                    return false;
                }
                throw new RelayException(Reason.GIT_UNAVAILABLE,
                        "Cannot fetch " + remote.displayUrl() + ": " + e.getMessage(), e);
            }
            requireTracked(result);
            return true;
        } catch (RelayException e) {
            throw Spans.failed(span, e, e.reason().tag());
        } finally {
            span.end();
            sample.stop(metrics.timer(RelayMetrics.GIT_FETCH));
        }
    }

    /**
     * The tracking ref moved (or had nothing to move). JGit does not throw when it could not: left at the old tip,
     * the cache would plan on it and read every rejected push as another writer pushing first.
     */
    private static void requireTracked(FetchResult result) {
        for (TrackingRefUpdate update : result.getTrackingRefUpdates()) {
            switch (update.getResult()) {
                case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> {
                }
                default -> throw new RelayException(Reason.STORAGE_UNAVAILABLE, "Fetched the branch but cannot move "
                        + update.getLocalName() + " in the GitOps cache: " + update.getResult());
            }
        }
    }

    /** Asks the remote whether the branch exists; an unreachable remote is an error, not a missing branch. */
    private boolean branchExists() {
        try {
            return remote.configure(Git.lsRemoteRepository().setRemote(remote.url()).setHeads(true)).call().stream()
                    .anyMatch(ref -> ref.getName().equals("refs/heads/" + branch));
        } catch (GitAPIException | RuntimeException e) {
            throw new RelayException(Reason.GIT_UNAVAILABLE,
                    "Cannot reach " + remote.displayUrl() + ": " + e.getMessage(), e);
        }
    }

    /** True when the remote took the commit (the cache then points at it); false when another writer pushed first. */
    boolean push(GitOpsCache cache, ObjectId commit) {
        Span span = tracer.spanBuilder(Spans.GITOPS_PUSH).setAttribute(Spans.GITOPS_BRANCH, branch)
                .setAttribute(Spans.GITOPS_COMMIT, commit.name()).startSpan();
        try {
            boolean pushed = send(cache, commit);
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

    private boolean send(GitOpsCache cache, ObjectId commit) {
        String branchRef = "refs/heads/" + branch;
        Timer.Sample sample = Timer.start(metrics);
        Iterable<PushResult> results;
        try (Git git = new Git(cache.repository())) {
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
                    cache.moveTo(commit);
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
}
