package org.gitopsrelay.preview;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.event.EventTypes;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.RelayEvent;

/** A pull request closed (merged or not), or a previewed branch deleted, removes its preview in one commit. */
@ApplicationScoped
public class ClosePreview {

    private final PreviewWriter writer;

    @Inject
    public ClosePreview(PreviewWriter writer) {
        this.writer = writer;
    }

    public String forPullRequest(RelayEvent trigger, AppSpec app, GitChange.PullRequest pr) {
        String reason = pr.merged() ? "pull request #" + pr.number() + " merged"
                : "pull request #" + pr.number() + " closed without merging";
        return writer.remove(trigger, app, PreviewSlug.forPullRequest(pr.number()), EventTypes.PREVIEW_DELETED, reason,
                pr.updatedAt(), null);
    }

    /**
     * A closing for an app left out of the registry: its pull request's or branch's preview goes, if it has one,
     * under the default settings (its own cannot be read).
     */
    public String ofLeftOutApp(RelayEvent trigger, String app, GitChange change) {
        if (change instanceof GitChange.PullRequest pr) {
            return writer.removeOfUnregistered(trigger, app, PreviewSlug.forPullRequest(pr.number()),
                    EventTypes.PREVIEW_DELETED, "pull request #" + pr.number() + " closed (app " + app
                            + " is not registered)", pr.updatedAt(), null);
        }
        String branch = change instanceof GitChange.Push push ? push.refName()
                : ((GitChange.RefDeleted) change).refName();
        java.time.Instant deletedAt = change instanceof GitChange.Push push ? push.pushedAt() : null;
        return writer.removeOfUnregistered(trigger, app, PreviewSlug.forBranch(app, branch),
                EventTypes.PREVIEW_DELETED, "branch deleted (app " + app + " is not registered)", deletedAt, null);
    }

    /** {@code deletedAt} is the push's time when the deletion came as a push; null for a delete event. */
    public String forBranch(RelayEvent trigger, AppSpec app, String branch, java.time.Instant deletedAt) {
        return writer.remove(trigger, app, PreviewSlug.forBranch(app.name(), branch), EventTypes.PREVIEW_DELETED,
                "branch deleted", deletedAt, null);
    }
}
