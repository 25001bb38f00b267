package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.SourceRepo;
import org.gitopsrelay.preview.PreviewCoalescing.Handle;
import org.gitopsrelay.preview.PreviewCoalescing.Item;
import org.junit.jupiter.api.Test;

class PreviewCoalescingTest {

    private static final Instant T0 = Instant.parse("2026-11-24T12:00:00Z");
    private static final SourceRepo REPO = SourceRepo.parse("github.com/example/shop");

    private final List<Item<String>> batch = new ArrayList<>();

    private PreviewCoalescingTest pr(String id, String action, int number, Integer second) {
        batch.add(new Item<>(id, "shop", new GitChange.PullRequest(REPO, action, number, "t", "bob", "feature/x",
                "a".repeat(40), "main", false, false, "https://example.org",
                second == null ? null : T0.plusSeconds(second))));
        return this;
    }

    private PreviewCoalescingTest push(String id, String app, String branch, int second) {
        batch.add(new Item<>(id, app, new GitChange.Push(REPO, GitChange.RefKind.BRANCH, branch, "b".repeat(40),
                "c".repeat(40), "c".repeat(40), 1, "bob", T0.plusSeconds(second), T0, false, false, false)));
        return this;
    }

    private PreviewCoalescingTest deleted(String id, String branch) {
        batch.add(new Item<>(id, "shop", new GitChange.RefDeleted(REPO, GitChange.RefKind.BRANCH, branch, "bob")));
        return this;
    }

    private List<Handle<String>> plan() {
        return PreviewCoalescing.plan(batch);
    }

    @Test
    void updatesOfOnePullRequestAreHandledAsTheNewestNamingTheOthers() {
        pr("a", "opened", 7, 1).pr("b", "synchronize", 7, 2).pr("c", "synchronize", 7, 3);

        assertThat(plan()).containsExactly(new Handle<>("c", List.of("a", "b")));
    }

    @Test
    void theNewestIsTheLatestActivityNotTheLastDeliveredAndOfEqualOnesTheLast() {
        pr("a", "synchronize", 7, 5).pr("late", "synchronize", 7, 3).pr("b", "synchronize", 7, 5);

        assertThat(plan()).containsExactly(new Handle<>("b", List.of("a", "late")));
    }

    @Test
    void aClosingOrReopeningEndsTheRunSoEachSideIsHandledInOrder() {
        pr("a", "synchronize", 7, 1).pr("b", "synchronize", 7, 2).pr("closed", "closed", 7, 3)
                .pr("reopened", "reopened", 7, 4).pr("c", "synchronize", 7, 5).pr("d", "synchronize", 7, 6);

        assertThat(plan()).containsExactly(new Handle<>("b", List.of("a")), new Handle<>("closed", List.of()),
                new Handle<>("reopened", List.of()), new Handle<>("d", List.of("c")));
    }

    @Test
    void anotherPreviewEventOfTheSameAppInBetweenEndsTheRunSoTheAppsOrderHolds() {
        // With previews.max 1 and none live, handled in turn pr7 takes the slot and pr8 is refused: so it must stay.
        pr("pr7-opened", "opened", 7, 1).pr("pr8-opened", "opened", 8, 1).pr("pr7-sync", "synchronize", 7, 2);

        assertThat(plan()).containsExactly(new Handle<>("pr7-opened", List.of()), new Handle<>("pr8-opened", List.of()),
                new Handle<>("pr7-sync", List.of()));
    }

    @Test
    void eventsOfOtherAppsInBetweenLeaveTheRunWholeAndItIsHandledWhereItEnds() {
        // The newest of the run is its first: it is handled where the run ends, after cart's first event.
        push("x-newest", "shop", "feature/x", 5).push("cart", "cart", "feature/x", 1).push("x-older", "shop",
                "feature/x", 2).push("cart-2", "cart", "feature/y", 3);

        assertThat(plan()).containsExactly(new Handle<>("cart", List.of()), new Handle<>("x-newest", List.of("x-older")),
                new Handle<>("cart-2", List.of()));
    }

    @Test
    void aBranchNamedLikeAPullRequestIsAnotherPreview() {
        pr("pr7", "synchronize", 7, 1).push("branch-hash-7", "shop", "#7", 2).push("branch-7", "shop", "7", 3)
                .push("branch-7-again", "shop", "7", 4);

        assertThat(plan()).containsExactly(new Handle<>("pr7", List.of()), new Handle<>("branch-hash-7", List.of()),
                new Handle<>("branch-7-again", List.of("branch-7")));
    }

    @Test
    void aBranchDeletedBetweenTwoPushesKeepsAllThree() {
        push("a", "shop", "feature/x", 1).deleted("gone", "feature/x").push("b", "shop", "feature/x", 2);

        assertThat(plan()).containsExactly(new Handle<>("a", List.of()), new Handle<>("gone", List.of()),
                new Handle<>("b", List.of()));
    }

    @Test
    void anUpdateWithoutATimeOfItsOwnEndsTheRunAndIsHandledOnItsOwn() {
        // Taken as "now" when handled, it is newer than both: it cannot stand in for them, nor they for it.
        pr("a", "synchronize", 7, 1).pr("untimed", "synchronize", 7, null).pr("b", "synchronize", 7, 2);

        assertThat(plan()).containsExactly(new Handle<>("a", List.of()), new Handle<>("untimed", List.of()),
                new Handle<>("b", List.of()));
    }
}
