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

    /** {@code deletedAt} is the push's time when the deletion came as a push; null for a delete event. */
    public String forBranch(RelayEvent trigger, AppSpec app, String branch, java.time.Instant deletedAt) {
        return writer.remove(trigger, app, PreviewSlug.forBranch(app.name(), branch), EventTypes.PREVIEW_DELETED,
                "branch deleted", deletedAt, null);
    }
}
