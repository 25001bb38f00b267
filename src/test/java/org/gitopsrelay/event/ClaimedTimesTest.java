package org.gitopsrelay.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class ClaimedTimesTest {

    private static final Instant RECEIVED = Instant.parse("2026-11-24T10:00:00.250Z");
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final SourceRepo REPO = SourceRepo.parse("github.com/example/demo");

    private static GitChange.Push push(Instant pushedAt, Instant committedAt) {
        return new GitChange.Push(REPO, GitChange.RefKind.BRANCH, "main", GitChange.ZERO_SHA, "a".repeat(40),
                "a".repeat(40), 1, "alice", pushedAt, committedAt, false, false, false);
    }

    @Test
    void aPushClaimingTheFarFutureIsTakenAsReceivedThen() {
        GitChange.Push clamped = (GitChange.Push) ClaimedTimes.clamp(push(Instant.parse("2099-01-01T00:00:00Z"),
                Instant.parse("2099-01-01T00:00:00Z")), RECEIVED, SKEW);

        assertThat(clamped.pushedAt()).isEqualTo(RECEIVED);
        assertThat(clamped.committedAt()).isEqualTo(RECEIVED);
    }

    @Test
    void aClockSlightlyAheadWithinTheSkewIsKept() {
        GitChange.Push push = push(RECEIVED.plus(Duration.ofMinutes(4)), RECEIVED.minus(Duration.ofHours(2)));

        assertThat(ClaimedTimes.clamp(push, RECEIVED, SKEW)).isSameAs(push);
    }

    @Test
    void aPullRequestUpdateFromTheFutureIsTakenAsReceivedThen() {
        GitChange.PullRequest pr = new GitChange.PullRequest(REPO, "synchronize", 5, "title", "alice", "feature",
                "b".repeat(40), "main", false, false, "https://github.com/example/demo/pull/5",
                RECEIVED.plus(Duration.ofDays(1)));

        assertThat(((GitChange.PullRequest) ClaimedTimes.clamp(pr, RECEIVED, SKEW)).updatedAt()).isEqualTo(RECEIVED);
    }

    @Test
    void changesWithoutATimeAreLeftAsTheyAre() {
        GitChange.Push push = push(null, null);
        GitChange.RefDeleted deleted = new GitChange.RefDeleted(REPO, GitChange.RefKind.BRANCH, "feature", "alice");

        assertThat(ClaimedTimes.clamp(push, RECEIVED, SKEW)).isSameAs(push);
        assertThat(ClaimedTimes.clamp(deleted, RECEIVED, SKEW)).isSameAs(deleted);
    }
}
