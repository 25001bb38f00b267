package org.gitopsrelay.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.SourceRepo;
import org.junit.jupiter.api.Test;

class StalePushTest {

    private static final String DEPLOYED = "1111111111111111111111111111111111111111";
    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    private static GitChange.Push push(String before, Instant pushedAt) {
        return new GitChange.Push(SourceRepo.parse("github.com/example/demo"), RefKind.BRANCH, "main", before,
                "2222222222222222222222222222222222222222", "2222222222222222222222222222222222222222", 1, "alice",
                pushedAt, pushedAt, false, false, false);
    }

    @Test
    void aPushOlderThanTheDeployedOneIsStale() {
        assertThat(DeployPushToEnvironment.isStale(push(DEPLOYED, T.minusSeconds(1)), Optional.of(T),
                Optional.of(DEPLOYED))).isTrue();
    }

    @Test
    void aNewerPushIsNot() {
        assertThat(DeployPushToEnvironment.isStale(push("0000000000000000000000000000000000000abc", T.plusSeconds(1)),
                Optional.of(T), Optional.of(DEPLOYED))).isFalse();
    }

    @Test
    void inTheSameSecondOnlyAPushThatMovesOnFromTheDeployedCommitIsNewer() {
        assertThat(DeployPushToEnvironment.isStale(push(DEPLOYED, T), Optional.of(T), Optional.of(DEPLOYED))).isFalse();
        assertThat(DeployPushToEnvironment.isStale(push("3333333333333333333333333333333333333333", T), Optional.of(T),
                Optional.of(DEPLOYED))).isTrue();
    }

    @Test
    void aPushWithoutATimeOrAnEnvironmentWithoutOneCannotBeOrdered() {
        assertThat(DeployPushToEnvironment.isStale(push(DEPLOYED, null), Optional.of(T), Optional.of(DEPLOYED))).isFalse();
        assertThat(DeployPushToEnvironment.isStale(push(DEPLOYED, T), Optional.empty(), Optional.empty())).isFalse();
    }

    /** A record written by something other than ingest may lack {@code before}: on a tie it cannot move on. */
    @Test
    void aPushWithoutTheCommitItMovesOnFromIsStaleOnATie() {
        var withoutBefore = new GitChange.Push(push(DEPLOYED, T).repo(), GitChange.RefKind.BRANCH, "main", null,
                DEPLOYED, DEPLOYED, 1, "alice", T, T, false, false, false);

        assertThat(DeployPushToEnvironment.isStale(withoutBefore, Optional.of(T), Optional.of(DEPLOYED))).isTrue();
    }
}
