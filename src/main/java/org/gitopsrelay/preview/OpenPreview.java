package org.gitopsrelay.preview;

import java.util.List;

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
        return forPullRequest(trigger, app, pr, List.of());
    }

    /** As {@link #forPullRequest(RelayEvent, AppSpec, GitChange.PullRequest)}, naming the older updates it stands for. */
    public String forPullRequest(RelayEvent trigger, AppSpec app, GitChange.PullRequest pr, List<String> superseded) {
        return writer.upsert(trigger, superseded, app, new PreviewRequest(PreviewSlug.forPullRequest(pr.number()),
                Preview.PULL_REQUEST, pr.number(), pr.headBranch(), pr.author(), pr.headCommit(), pr.updatedAt(),
                pr.fromFork(), "reopened".equals(pr.action())));
    }

    public String forBranch(RelayEvent trigger, AppSpec app, GitChange.Push push) {
        return forBranch(trigger, app, push, List.of());
    }

    /** As {@link #forBranch(RelayEvent, AppSpec, GitChange.Push)}, naming the older pushes it stands for. */
    public String forBranch(RelayEvent trigger, AppSpec app, GitChange.Push push, List<String> superseded) {
        return writer.upsert(trigger, superseded, app, new PreviewRequest(PreviewSlug.forBranch(app.name(), push.refName()),
                Preview.BRANCH, null, push.refName(), push.pusher(), push.headCommit(), push.pushedAt(), false, false));
    }
}
