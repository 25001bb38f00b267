package org.gitopsrelay.deploy;

import java.util.Optional;
import java.util.Set;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;

/**
 * Whether an app acts on a git change, and if not, why. Ingest asks it to answer a webhook with a useful
 * {@code ignored} reason; handlers ask it again, as app.yaml may have changed since.
 */
public final class Routing {

    /** Pull request actions that open or move a preview. */
    public static final Set<String> OPENING_ACTIONS = Set.of("opened", "reopened", "synchronize", "synchronized");
    public static final String CLOSED = "closed";

    private Routing() {
    }

    /** Empty when the app acts on the change; otherwise the reason it does not. */
    public static Optional<String> ignoredBy(AppSpec app, GitChange change) {
        if (change instanceof GitChange.Push push) {
            return push(app, push);
        }
        if (change instanceof GitChange.RefCreated created) {
            return Optional.of("app " + app.name() + " acts on pushes; the push event for " + created.refName()
                    + " carries the commit");
        }
        if (change instanceof GitChange.RefDeleted deleted) {
            if (deleted.refKind() == RefKind.BRANCH && app.previews().followsBranch(deleted.refName())) {
                return Optional.empty();
            }
            return Optional.of("app " + app.name() + " has no preview for " + deleted.refName()
                    + " to remove; environments keep their last deployment");
        }
        return pullRequest(app, (GitChange.PullRequest) change);
    }

    /**
     * Whether the change closes a preview: a pull request closed, a branch deleted. Such changes also reach apps
     * left out of the registry, whose previews would otherwise outlive them.
     */
    public static boolean closesPreviews(GitChange change) {
        if (change instanceof GitChange.PullRequest pr) {
            return CLOSED.equals(pr.action());
        }
        if (change instanceof GitChange.Push push) {
            return push.deleted() && push.refKind() == RefKind.BRANCH;
        }
        return change instanceof GitChange.RefDeleted deleted && deleted.refKind() == RefKind.BRANCH;
    }

    /** Whether the push's branch has a branch preview in this app. */
    public static boolean feedsBranchPreview(AppSpec app, GitChange.Push push) {
        return push.refKind() == RefKind.BRANCH && app.previews().followsBranch(push.refName());
    }

    private static Optional<String> push(AppSpec app, GitChange.Push push) {
        String what = (push.refKind() == RefKind.TAG ? "tag " : "branch ") + push.refName();
        if (push.deleted()) {
            return feedsBranchPreview(app, push) ? Optional.empty()
                    : Optional.of(what + " was deleted; environments keep their last deployment");
        }
        if (app.environmentsFollowing(push.refKind(), push.refName()).isEmpty() && !feedsBranchPreview(app, push)) {
            return Optional.of("no environment of app " + app.name() + " follows " + what);
        }
        return Optional.empty();
    }

    private static Optional<String> pullRequest(AppSpec app, GitChange.PullRequest pr) {
        if (!app.previews().pullRequests()) {
            return Optional.of("app " + app.name() + " has no pull-request previews");
        }
        if (!OPENING_ACTIONS.contains(pr.action()) && !CLOSED.equals(pr.action())) {
            return Optional.of("pull request action '" + pr.action() + "' changes no preview");
        }
        if (pr.fromFork() && !app.previews().forks()) {
            return Optional.of("pull request #" + pr.number() + " comes from a fork: app " + app.name()
                    + " does not deploy code from forks (previews.forks)");
        }
        return Optional.empty();
    }
}
