package org.gitopsrelay.deploy;

import java.util.Optional;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.event.GitChange;

/**
 * Whether an app acts on a git change, and if not, why. Ingest asks it to answer a webhook with a useful
 * {@code ignored} reason; handlers ask it again, as app.yaml may have changed since.
 */
public final class Routing {

    private Routing() {
    }

    /** Empty when the app acts on the change; otherwise the reason it does not. */
    public static Optional<String> ignoredBy(AppSpec app, GitChange change) {
        if (change instanceof GitChange.Push push) {
            return push(app, push);
        }
        if (change instanceof GitChange.RefCreated created) {
            return Optional.of("app " + app.name() + " deploys on pushes; the push event for " + created.refName()
                    + " carries the commits");
        }
        if (change instanceof GitChange.RefDeleted deleted) {
            return Optional.of("app " + app.name() + " has no preview for " + deleted.refName()
                    + " to remove; environments keep their last deployment");
        }
        return Optional.of("app " + app.name() + " has no pull-request previews");
    }

    private static Optional<String> push(AppSpec app, GitChange.Push push) {
        String what = (push.refKind() == GitChange.RefKind.TAG ? "tag " : "branch ") + push.refName();
        if (push.deleted()) {
            return Optional.of(what + " was deleted; environments keep their last deployment");
        }
        if (app.environmentsFollowing(push.refKind(), push.refName()).isEmpty()) {
            return Optional.of("no environment of app " + app.name() + " follows " + what);
        }
        return Optional.empty();
    }
}
