package org.gitopsrelay.preview;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.gitopsrelay.app.AppSpec;
import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.event.RelayEvent;

/** A pull request opened, reopened or pushed to, or a push to a previewed branch, opens or moves its preview. */
@ApplicationScoped
public class OpenPreview {

    private final PreviewWriter writer;

    @Inject
    public OpenPreview(PreviewWriter writer) {
        this.writer = writer;
    }

    public String forPullRequest(RelayEvent trigger, AppSpec app, GitChange.PullRequest pr) {
        return writer.upsert(trigger, app, new PreviewRequest(PreviewSlug.forPullRequest(pr.number()),
                Preview.PULL_REQUEST, pr.number(), pr.headBranch(), pr.author(), pr.headCommit(), pr.updatedAt(),
                pr.fromFork(), "reopened".equals(pr.action())));
    }

    public String forBranch(RelayEvent trigger, AppSpec app, GitChange.Push push) {
        return writer.upsert(trigger, app, new PreviewRequest(PreviewSlug.forBranch(app.name(), push.refName()),
                Preview.BRANCH, null, push.refName(), push.pusher(), push.headCommit(), push.pushedAt(), false, false));
    }
}
