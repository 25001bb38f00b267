package org.gitopsrelay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.testing.Fixtures;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

class GitHubPayloadsTest {

    private static GitChange change(String event, ObjectNode body) {
        Normalised normalised = GitHubPayloads.normalise(event, body);
        assertThat(normalised).isInstanceOf(Normalised.Change.class);
        return ((Normalised.Change) normalised).change();
    }

    @Test
    void aBranchPushNamesRepositoryRefCommitPusherAndTime() {
        GitChange.Push push = (GitChange.Push) change("push", Fixtures.json("github-push-main"));
        assertThat(push.repo().key()).isEqualTo("github.com/example/demo");
        assertThat(push.refKind()).isEqualTo(RefKind.BRANCH);
        assertThat(push.refName()).isEqualTo("main");
        assertThat(push.headCommit()).isEqualTo("199eddf46df50de8d02e99bf1c5fdb4101338224");
        assertThat(push.commitCount()).isEqualTo(1);
        assertThat(push.pusher()).isEqualTo("alice");
        assertThat(push.pushedAt()).isEqualTo(Instant.ofEpochSecond(1795176300));
        assertThat(push.deleted()).isFalse();
    }

    @Test
    void aTagPushAndABranchDeletionAreTellable() {
        GitChange.Push tag = (GitChange.Push) change("push", Fixtures.json("github-push-tag"));
        assertThat(tag.refKind()).isEqualTo(RefKind.TAG);
        assertThat(tag.refName()).isEqualTo("v1.4.0");
        assertThat(tag.commitCount()).isZero();
        GitChange.Push deleted = (GitChange.Push) change("push", Fixtures.json("github-push-branch-deleted"));
        assertThat(deleted.deleted()).isTrue();
        assertThat(deleted.refName()).isEqualTo("feature/login");
    }

    @Test
    void createDeleteAndPullRequestFitTheSameModel() {
        assertThat(change("create", Fixtures.json("github-create-branch")))
                .isEqualTo(new GitChange.RefCreated(org.gitopsrelay.event.SourceRepo.parse("github.com/example/demo"),
                        RefKind.BRANCH, "feature/login", "alice"));
        // Only the push's signed "deleted": true deletes: the event header is not signed.
        assertThat(GitHubPayloads.normalise("delete", Fixtures.json("github-delete-branch")))
                .isInstanceOf(Normalised.Ignored.class);
        assertThat(GitHubPayloads.normalise("delete", Fixtures.json("github-create-branch")))
                .isInstanceOf(Normalised.Ignored.class);
        GitChange.PullRequest pr = (GitChange.PullRequest) change("pull_request",
                Fixtures.json("github-pull_request-opened"));
        assertThat(pr.number()).isEqualTo(42);
        assertThat(pr.headBranch()).isEqualTo("feature/login");
        assertThat(pr.fromFork()).isFalse();
        assertThat(((GitChange.PullRequest) change("pull_request",
                Fixtures.json("github-pull_request-opened-from-fork"))).fromFork()).isTrue();
    }

    @Test
    void otherEventsAreIgnoredWithAReason() {
        assertThat(GitHubPayloads.normalise("issues", Fixtures.json("github-push-main")))
                .isEqualTo(new Normalised.Ignored("GitHub event 'issues' is not one gitops-relay acts on"));
    }

    @Test
    void aMissingOrMistypedFieldIsNamed() {
        ObjectNode noRepo = Fixtures.json("github-push-main");
        noRepo.remove("repository");
        assertThatThrownBy(() -> GitHubPayloads.normalise("push", noRepo)).isInstanceOf(RelayException.class)
                .hasMessage("The field 'repository.html_url' is missing");
        ObjectNode badSha = Fixtures.json("github-push-main");
        badSha.put("after", "not-a-sha");
        assertThatThrownBy(() -> GitHubPayloads.normalise("push", badSha))
                .hasMessage("The field 'after' is not a commit SHA");
        ObjectNode badRepo = Fixtures.json("github-push-main");
        ((ObjectNode) badRepo.get("repository")).put("html_url", "https://github.com/../../etc");
        assertThatThrownBy(() -> GitHubPayloads.normalise("push", badRepo))
                .hasMessageStartingWith("The field 'repository.html_url' is not a repository URL");
        ObjectNode badDeleted = Fixtures.json("github-push-main");
        badDeleted.put("deleted", "yes");
        assertThatThrownBy(() -> GitHubPayloads.normalise("push", badDeleted))
                .hasMessage("The field 'deleted' must be true or false");
    }
}
